{#
    Published hotspots in time: violent events (police-recorded violence; ED assaults under ISTV) per area per
    observation period per day of the week and time band, with each cell's share of the area's events. Every count
    goes through disclosure control; the share uses published counts.
#}

with

counts as (

    select * from {{ ref('int_violence_counts__by_area_time_of_week') }}

),

final as (

    select
        -- when
        observation_period_start,
        {{ observation_period_label('observation_period_start') }} as observation_period,
        day_order,
        day_of_week,
        time_band_order,
        time_band,

        -- where and which source
        geography_level,
        geography_level_order,
        area_code,
        area_name,
        la_code,
        la_name,
        source_agency,

        -- disclosure-controlled measures
        {{ disclosed_count('event_count', 'violence_count') }},
        {{ disclosed_count('area_period_event_count', 'area_period_violence_count') }},
        {{ disclosure_percentage('event_count', 'area_period_event_count', precision=1) }} as pct_of_area_period
    from counts

)

select * from final
