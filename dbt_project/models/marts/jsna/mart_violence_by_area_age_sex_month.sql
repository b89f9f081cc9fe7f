{#
    Published (Level 1/2) rates of violence by age band and sex: victims of police-recorded violence and ED assault
    attendances (ISTV) per area, month, age band and sex, per 1,000 residents of that age band and sex. Every count
    goes through disclosure control; see macros/disclosure/disclosure_control.sql.
#}

with

counts as (

    select * from {{ ref('int_violence_victims__aggregated_by_area_age_sex_month') }}

),

final as (

    select
        -- where
        geography_level,
        geography_level_order,
        area_code,
        area_name,
        la_code,
        la_name,

        -- when
        month_start,
        {{ format_period('month_start') }} as period,

        -- who and which source
        source_agency,
        age_band,
        age_band_order,
        sex,

        -- disclosure-controlled measures
        {{ disclosed_count('victim_count', 'victim_count') }},
        resident_population,
        {{ disclosure_rate('victim_count', 'resident_population', per=1000, precision=1) }} as victim_rate_per_1000
    from counts

)

select * from final
