{{ config(post_hook="{{ remove_withdrawn_deliveries('police', 'police_nominals') }}") }}

with

source as (

    select * from {{ source('police', 'police_nominals') }} as bronze
    {{ new_deliveries_only('bronze') }}

),

renamed as (

    select
        -- ids
        cast(_record_key as string) as record_key,
        cast(occurrence_ref_token as string) as occurrence_ref_token,
        cast(nominal_id_token as string) as nominal_id_token,
        cast(pnc_id_token as string) as pnc_id_token,

        -- linkage tokens (keyed; usable only for matching)
        cast(surname_token as string) as surname_token,
        surname_bloom,
        cast(forenames_token as string) as forenames_token,
        forenames_bloom,
        cast(dob_token as string) as dob_token,
        cast(dob_swapped_token as string) as dob_swapped_token,
        cast(dob_month_day_token as string) as dob_month_day_token,
        cast(postcode_token as string) as postcode_token,

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
