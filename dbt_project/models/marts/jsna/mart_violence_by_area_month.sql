{#
    Published (Level 1/2) violence counts by area and month, police and ED (ISTV) side by side as separate rows.
    Every count goes through disclosure control; see macros/disclosure/disclosure_control.sql.
#}

with

counts as (

    select * from {{ ref('int_violence_counts__aggregated_by_area_month') }}

),

final as (

    select
        -- where
        geography_level,
        area_code,
        area_name,
        la_code,
        la_name,

        -- when
        month_start,
        {{ format_period('month_start') }} as period,

        -- which source
        source_agency,

        -- disclosure-controlled measures
        {{ disclosed_count('event_count', 'violence_count') }},
        resident_population,
        {{ disclosure_rate('event_count', 'resident_population', per=1000, precision=1) }} as violence_rate_per_1000
    from counts

)

select * from final
