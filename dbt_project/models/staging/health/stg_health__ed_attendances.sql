{{ config(post_hook="{{ remove_withdrawn_deliveries('health', 'ed_attendances') }}") }}
{#- source() loads the Delta table each time it is called: once, here #}
{%- set bronze = source('health', 'ed_attendances') %}

with

source as (

    select * from {{ bronze }} as bronze
    {{ new_deliveries_only(bronze) }}

),

renamed as (

    select
        -- ids
        cast(_record_key as string) as record_key,
        cast(attendance_id_token as string) as attendance_id_token,
        cast(nhs_number_token as string) as nhs_number_token,
        cast(site_code as string) as site_code,

        -- linkage tokens (keyed; usable only for matching)
        {{ linkage_token_columns() }}

        -- coarsened demographics
        cast(birth_year_month as string) as birth_year_month,
        cast(sex as string) as sex,
        cast(postcode_lsoa as string) as residence_lsoa,

        -- dates and times
        cast(arrival_date as date) as arrival_date,
        cast(arrival_time as string) as arrival_time,
        cast(injury_date as date) as injury_date,

        -- codes
        cast(injury_intent as string) as injury_intent,
        cast(injury_mechanism as string) as injury_mechanism,
        cast(place_of_injury as string) as place_of_injury,
        cast(alcohol_drug_involvement as string) as alcohol_drug_involvement,

        -- lineage
        {{ lineage_columns() }},
        -- this run's start: scopes the data tests to the rows the run loaded (macros/test_scope.sql)
        {{ run_loaded_at() }} as loaded_at

    from source

)

select * from renamed
