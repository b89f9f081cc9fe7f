{{ config(post_hook="{{ remove_withdrawn_deliveries('police', 'police_occurrences') }}") }}
{#- source() loads the Delta table each time it is called: once, here #}
{%- set bronze = source('police', 'police_occurrences') %}

with

source as (

    select * from {{ bronze }} as bronze
    {{ new_deliveries_only(bronze) }}

),

renamed as (

    select
        -- ids
        cast(_record_key as string) as record_key,
        cast(occurrence_ref_token as string) as occurrence_ref_token,

        -- dates and times
        cast(recorded_date as date) as recorded_date,
        cast(offence_date as date) as offence_date,
        cast(offence_time as string) as offence_time,

        -- codes
        upper(trim(cast(ho_code as string))) as ho_code,
        cast(crime_type as string) as crime_type,
        cast(outcome_code as string) as outcome_code,

        -- area
        cast(location_lsoa as string) as location_lsoa,
        cast(location_postcode_lsoa as string) as location_postcode_lsoa,

        -- flags
        cast(domestic_abuse as boolean) as is_domestic_abuse,
        cast(weapon_flag as boolean) as is_weapon_involved,
        cast(child_present as boolean) as is_child_present,

        -- lineage
        {{ lineage_columns() }},
        -- this run's start: scopes the data tests to the rows the run loaded (macros/test_scope.sql)
        {{ run_loaded_at() }} as loaded_at

    from source

)

select * from renamed
