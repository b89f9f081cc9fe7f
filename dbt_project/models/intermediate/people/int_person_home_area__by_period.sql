{#
    Where each linked person lived, how old they were and their sex, as at the end of every observation period in
    which any agency recorded them or they were affected by violence (an ED attendance early in a period can be
    for an injury late in the previous one): the home LSOA of their latest record with an address on or before the
    period's end (an earlier period's address when none was recorded in this one). The people dimension of every
    person-level mart by area, age band and sex.
#}

with

records as (

    select * from {{ ref('int_person_records__unioned') }}

),

demographics as (

    select * from {{ ref('int_person_demographics__resolved') }}

),

person_periods as (

    select
        person_key,
        observation_period_start,
        {{ observation_period_end('observation_period_start') }} as observation_period_end
    from (
        select person_key, observation_period_start from records
        union
        select person_key, observation_period_start
        from {{ ref('fct_violence_event') }}
        where person_key is not null
    ) as periods

),

addresses as (

    select
        person_periods.person_key,
        person_periods.observation_period_start,
        records.residence_lsoa,
        row_number() over (
            partition by person_periods.person_key, person_periods.observation_period_start
            order by records.record_date desc, records.source_feed, records.record_key
        ) as recency
    from person_periods as person_periods
    inner join records as records
        on person_periods.person_key = records.person_key
        and records.record_date <= person_periods.observation_period_end
        and records.residence_lsoa is not null

),

final as (

    select
        person_periods.person_key,
        person_periods.observation_period_start,
        {{ observation_period_label('person_periods.observation_period_start') }} as observation_period,
        person_periods.observation_period_end,
        addresses.residence_lsoa as home_lsoa_code,
        {{ age_in_years('demographics.birth_year_month', 'person_periods.observation_period_end') }}
            as age_at_period_end,
        demographics.sex
    from person_periods as person_periods
    inner join demographics as demographics
        on person_periods.person_key = demographics.person_key
    left join addresses as addresses
        on person_periods.person_key = addresses.person_key
        and person_periods.observation_period_start = addresses.observation_period_start
        and addresses.recency = 1

)

select
    *,
    {{ age_band('age_at_period_end') }} as age_band
from final
