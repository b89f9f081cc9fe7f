{{ config(post_hook="{{ remove_withdrawn_deliveries('education', 'education_exclusions') }}") }}
{#- source() loads the Delta table each time it is called: once, here #}
{%- set bronze = source('education', 'education_exclusions') %}

with

source as (

    select * from {{ bronze }} as bronze
    {{ new_deliveries_only(bronze) }}

),

renamed as (

    select
        -- ids
        cast(_record_key as string) as record_key,
        cast(upn_token as string) as upn_token,
        cast(school_urn as string) as school_urn,

        -- linkage tokens (keyed; usable only for matching)
        {{ linkage_token_columns(with_postcode=false) }}

        -- coarsened demographics
        cast(birth_year_month as string) as birth_year_month,

        -- dates
        cast(start_date as date) as start_date,

        -- codes
        cast(category as string) as exclusion_category,
        cast(reason_code as string) as reason_code,

        -- measures
        cast(sessions as integer) as sessions_excluded,

        -- lineage
        {{ lineage_columns() }},
        -- this run's start: scopes the data tests to the rows the run loaded (macros/test_scope.sql)
        {{ run_loaded_at() }} as loaded_at

    from source

)

select * from renamed
