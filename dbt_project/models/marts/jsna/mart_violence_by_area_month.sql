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
        {{ disclosure_control('event_count') }} as violence_count,
        {{ disclosure_display('event_count') }} as violence_count_display,
        resident_population,
        {{ disclosure_rate('event_count', 'resident_population', per=1000, precision=1) }} as violence_rate_per_1000
    from counts

)

select * from final
