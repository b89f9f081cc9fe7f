{#
    One set of demographics per linked person, resolved across agencies: the most recent record that states each
    value wins (agencies correct errors over time, and coarsened values rarely disagree), ties broken by feed name
    so the result is deterministic. Also when and by whom the person is known.
#}

with

records as (

    select * from {{ ref('int_person_records__unioned') }}

),

latest_birth as (

    select person_key, birth_year_month
    from (
        select
            person_key,
            birth_year_month,
            row_number() over (
                partition by person_key order by record_date desc, source_feed, record_key
            ) as recency
        from records
        where birth_year_month is not null
    ) as ranked
    where recency = 1

),

latest_sex as (

    select person_key, sex
    from (
        select
            person_key,
            sex,
            row_number() over (
                partition by person_key order by record_date desc, source_feed, record_key
            ) as recency
        from records
        where sex is not null
    ) as ranked
    where recency = 1

),

agencies as (

    select
        person_key,
        {{ sorted_listagg('partner', "';'") }} as agencies_known_to
    from (select distinct person_key, partner from records) as distinct_partners
    group by person_key

),

known as (

    select
        person_key,
        min(record_date) as first_record_date,
        max(record_date) as last_record_date,
        count(*) as record_count,
        max(case when partner = 'police' then 1 else 0 end) = 1 as is_known_to_police,
        max(case when partner = 'probation' then 1 else 0 end) = 1 as is_known_to_probation,
        max(case when partner = 'education' then 1 else 0 end) = 1 as is_known_to_education,
        max(case when partner = 'health' then 1 else 0 end) = 1 as is_known_to_health
    from records
    group by person_key

),

final as (

    select
        known.person_key,
        latest_birth.birth_year_month,
        coalesce(latest_sex.sex, 'U') as sex,
        known.first_record_date,
        known.last_record_date,
        known.record_count,
        known.is_known_to_police,
        known.is_known_to_probation,
        known.is_known_to_education,
        known.is_known_to_health,
        agencies.agencies_known_to
    from known as known
    inner join agencies as agencies
        on known.person_key = agencies.person_key
    left join latest_birth as latest_birth
        on known.person_key = latest_birth.person_key
    left join latest_sex as latest_sex
        on known.person_key = latest_sex.person_key

)

select * from final
