{{ config(post_hook="{{ remove_withdrawn_deliveries('probation', 'probation_caseload') }}") }}
{#- source() loads the Delta table each time it is called: once, here #}
{%- set bronze = source('probation', 'probation_caseload') %}

with

source as (

    select * from {{ bronze }} as bronze
    {{ new_deliveries_only(bronze) }}

),

renamed as (

    select
        -- ids
        cast(_record_key as string) as record_key,
        cast(crn_token as string) as crn_token,
        cast(pnc_id_token as string) as pnc_id_token,

        -- linkage tokens (keyed; usable only for matching)
        {{ linkage_token_columns() }}

        -- coarsened demographics
        cast(birth_year_month as string) as birth_year_month,
        cast(sex as string) as sex,
        cast(postcode_lsoa as string) as residence_lsoa,

        -- dates
        cast(_period as string) as snapshot_period,
        cast(sentence_start as date) as sentence_start_date,
        cast(sentence_end as date) as sentence_end_date,

        -- codes
        cast(sentence_type as string) as sentence_type,
        upper(trim(cast(index_offence_code as string))) as index_offence_code,
        cast(rosh as string) as rosh_level,
        cast(registers as string) as registers,

        -- OASys criminogenic needs (0 no problem, 1 some problems, 2 significant problems)
        cast(need_accommodation as integer) as need_accommodation,
        cast(need_ete as integer) as need_ete,
        cast(need_relationships as integer) as need_relationships,
        cast(need_lifestyle as integer) as need_lifestyle,
        cast(need_drugs as integer) as need_drugs,
        cast(need_alcohol as integer) as need_alcohol,
        cast(need_thinking_behaviour as integer) as need_thinking_behaviour,
        cast(need_attitudes as integer) as need_attitudes,
        cast(need_finance as integer) as need_finance,
        cast(need_emotional as integer) as need_emotional,

        -- flags
        cast(no_fixed_abode as boolean) as is_no_fixed_abode,

        -- lineage
        {{ lineage_columns() }},
        -- this run's start: scopes the data tests to the rows the run loaded (macros/test_scope.sql)
        {{ run_loaded_at() }} as loaded_at

    from source

)

select * from renamed
