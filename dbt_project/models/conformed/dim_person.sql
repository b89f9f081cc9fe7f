{#
    One row per linked person: coarsened demographics resolved across agencies, the home area and age as at one
    date (var person_as_at_date, default the latest record date in the lake), and the agencies that know them.
    Pseudonymous: person_key is the linkage's cluster key; no identifier, name or exact date of birth is here.
#}
{%- set as_at = var('person_as_at_date') | string | trim -%}

with

demographics as (

    select * from {{ ref('int_person_demographics__resolved') }}

),

records as (

    select * from {{ ref('int_person_records__unioned') }}

),

as_at as (

    {%- if as_at %}
    select cast('{{ as_at }}' as date) as home_area_as_at
    {%- else %}
    select max(record_date) as home_area_as_at from records
    {%- endif %}

),

addresses as (

    select
        records.person_key,
        records.residence_lsoa,
        row_number() over (
            partition by records.person_key
            order by records.record_date desc, records.source_feed, records.record_key
        ) as recency
    from records as records
    cross join as_at as as_at
    where records.residence_lsoa is not null
        and records.record_date <= as_at.home_area_as_at

),

areas as (

    select * from {{ ref('dim_area') }}

),

final as (

    select
        -- ids
        demographics.person_key,

        -- coarsened demographics
        demographics.birth_year_month,
        demographics.sex,
        {{ age_in_years('demographics.birth_year_month', 'as_at.home_area_as_at') }} as age_at_as_at,
        {{ age_band(age_in_years('demographics.birth_year_month', 'as_at.home_area_as_at')) }} as age_band_at_as_at,

        -- home area as at home_area_as_at
        as_at.home_area_as_at,
        addresses.residence_lsoa as home_lsoa_code,
        areas.ward_code as home_ward_code,
        areas.la_code as home_la_code,

        -- which agencies know the person (any record, any time)
        demographics.is_known_to_police,
        demographics.is_known_to_probation,
        demographics.is_known_to_education,
        demographics.is_known_to_health,
        demographics.agencies_known_to,
        (
            cast(demographics.is_known_to_police as integer)
            + cast(demographics.is_known_to_probation as integer)
            + cast(demographics.is_known_to_education as integer)
            + cast(demographics.is_known_to_health as integer)
        ) as agency_count,

        -- coverage
        demographics.first_record_date,
        demographics.last_record_date,
        demographics.record_count
    from demographics as demographics
    cross join as_at as as_at
    left join addresses as addresses
        on demographics.person_key = addresses.person_key
        and addresses.recency = 1
    left join areas as areas
        on addresses.residence_lsoa = areas.lsoa_code

)

select * from final
