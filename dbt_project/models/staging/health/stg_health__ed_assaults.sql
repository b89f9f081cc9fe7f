{{ config(post_hook="{{ remove_withdrawn_deliveries('health', 'ed_assaults') }}") }}
{#- source() loads the Delta table each time it is called: once, here #}
{%- set bronze = source('health', 'ed_assaults') %}

with

source as (

    select * from {{ bronze }} as bronze
    {{ new_deliveries_only(bronze) }}

),

renamed as (

    select
        -- ids
        cast(_record_key as string) as record_key,
        cast(istv_ref as string) as istv_ref,
        cast(site_code as string) as site_code,

        -- dates and times
        cast(arrival_date as date) as arrival_date,
        cast(arrival_time as string) as arrival_time,
        cast(assault_date as date) as assault_date,
        cast(assault_time as string) as assault_time,

        -- codes
        cast(age_band as string) as age_band,
        cast(sex as string) as sex,
        cast(means_of_assault as string) as means_of_assault,
        cast(location_type as string) as location_type,

        -- area
        cast(location_lsoa as string) as location_lsoa,

        -- lineage
        {{ lineage_columns() }},
        -- this run's start: scopes the data tests to the rows the run loaded (macros/test_scope.sql)
        {{ run_loaded_at() }} as loaded_at

    from source

)

select * from renamed
