{{ config(post_hook="{{ remove_withdrawn_deliveries('police', 'police_nominals') }}") }}
{#- source() loads the Delta table each time it is called: once, here #}
{%- set bronze = source('police', 'police_nominals') %}

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
        cast(nominal_id_token as string) as nominal_id_token,
        cast(pnc_id_token as string) as pnc_id_token,

        -- linkage tokens (keyed; usable only for matching)
        {{ linkage_token_columns() }}

        -- codes
        cast(role as string) as role,
        cast(sex as string) as sex,

        -- coarsened demographics
        cast(birth_year_month as string) as birth_year_month,
        cast(postcode_lsoa as string) as residence_lsoa,

        -- flags
        cast(no_fixed_abode as boolean) as is_no_fixed_abode,
        cast(gang_marker as boolean) as has_gang_marker,

        -- lineage
        {{ lineage_columns() }},
        -- this run's start: scopes the data tests to the rows the run loaded (macros/test_scope.sql)
        {{ run_loaded_at() }} as loaded_at

    from source

)

select * from renamed
