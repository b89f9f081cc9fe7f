{{ config(post_hook="{{ remove_withdrawn_deliveries('education', 'education_census') }}") }}
{#- source() loads the Delta table each time it is called: once, here #}
{%- set bronze = source('education', 'education_census') %}

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
        {{ linkage_token_columns() }}

        -- coarsened demographics
        cast(birth_year_month as string) as birth_year_month,
        cast(sex as string) as sex,
        cast(postcode_lsoa as string) as residence_lsoa,

        -- dates
        cast(_period as string) as census_period,

        -- attendance
        cast(possible_sessions as integer) as possible_sessions,
        cast(sessions_missed as integer) as sessions_missed,

        -- codes
        cast(sen_provision as string) as sen_provision,
        cast(sen_primary_need as string) as sen_primary_need,

        -- flags
        cast(fsm_eligible as boolean) as is_fsm_eligible,
        cast(child_in_need as boolean) as is_child_in_need,
        cast(child_protection_plan as boolean) as is_on_child_protection_plan,
        cast(looked_after as boolean) as is_looked_after,

        -- lineage
        {{ lineage_columns() }},
        -- this run's start: scopes the data tests to the rows the run loaded (macros/test_scope.sql)
        {{ run_loaded_at() }} as loaded_at

    from source

)

select * from renamed
