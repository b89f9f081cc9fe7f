{#
    Every linked record about a person, from every person feed, reduced to what describes the person: when, which
    agency, birth year-month, sex and home LSOA. The basis of dim_person, home areas and agency cohorts.
#}

with

police as (

    select
        person_key,
        'police' as partner,
        'police_nominals' as source_feed,
        record_key,
        record_date,
        birth_year_month,
        sex,
        residence_lsoa
    from {{ ref('int_police_nominals__joined_to_occurrences') }}
    where is_linked

),

probation as (

    select
        person_key,
        'probation' as partner,
        'probation_caseload' as source_feed,
        record_key,
        snapshot_date as record_date,
        birth_year_month,
        sex,
        residence_lsoa
    from {{ ref('int_probation_caseload__linked') }}
    where is_linked

),

census as (

    select
        person_key,
        'education' as partner,
        'education_census' as source_feed,
        record_key,
        census_date as record_date,
        birth_year_month,
        sex,
        residence_lsoa
    from {{ ref('int_education_census__linked') }}
    where is_linked

),

exclusions as (

    select
        person_key,
        'education' as partner,
        'education_exclusions' as source_feed,
        record_key,
        start_date as record_date,
        birth_year_month,
        cast(null as {{ dbt.type_string() }}) as sex,
        cast(null as {{ dbt.type_string() }}) as residence_lsoa
    from {{ ref('int_education_exclusions__linked') }}
    where is_linked

),

health as (

    select
        person_key,
        'health' as partner,
        'ed_attendances' as source_feed,
        record_key,
        arrival_date as record_date,
        birth_year_month,
        sex,
        residence_lsoa
    from {{ ref('int_ed_attendances__linked') }}
    where is_linked

),

unioned as (

    select * from police
    union all
    select * from probation
    union all
    select * from census
    union all
    select * from exclusions
    union all
    select * from health

),

final as (

    select
        {{ dbt.concat(['source_feed', "':'", 'record_key', "':'", 'cast(record_date as ' ~ dbt.type_string() ~ ')']) }}
            as person_record_id,
        person_key,
        partner,
        source_feed,
        record_key,
        record_date,
        {{ observation_period_start('record_date') }} as observation_period_start,
        birth_year_month,
        -- 'U' (not known) says nothing about the person's sex
        case when sex in ('F', 'M') then sex end as sex,
        residence_lsoa
    from unioned
    where record_date is not null

)

select * from final
