{#
    Raw (unrounded) violent events per area per observation period per source per day of the week per time band
    (var time_band_hours; events with no recorded time in band 'not recorded'), with the area's total for the
    period. Levels ward, local_authority and vru. Internal only: mart_violence_hotspots_by_time_of_week applies
    disclosure control.
#}
{%- set levels = ['ward', 'local_authority', 'vru'] -%}
{%- set band_hours = var('time_band_hours') | int -%}
{%- if band_hours < 1 or 24 % band_hours != 0 -%}
    {{ exceptions.raise_compiler_error("var time_band_hours must divide 24, got " ~ band_hours) }}
{%- endif -%}

with

events as (

    select
        source_agency,
        observation_period_start,
        lsoa_code,
        event_iso_day_of_week,
        case
            {%- for start in range(0, 24, band_hours) %}
            when event_hour between {{ start }} and {{ start + band_hours - 1 }} then {{ loop.index }}
            {%- endfor %}
            else {{ (24 // band_hours) + 1 }}
        end as time_band_order
    from {{ ref('fct_violence_event') }}
    where is_event_row
        and source_agency in ('police', 'ed_istv')

),

expanded as (

    {{ expand_to_area_levels('events', 'lsoa_code', ref('int_area_levels__expanded'), levels) }}

),

counted as (

    select
        geography_level,
        area_code,
        source_agency,
        observation_period_start,
        event_iso_day_of_week,
        time_band_order,
        count(*) as event_count
    from expanded
    group by
        geography_level, area_code, source_agency, observation_period_start, event_iso_day_of_week, time_band_order

),

area_totals as (

    select
        geography_level,
        area_code,
        source_agency,
        observation_period_start,
        count(*) as area_period_event_count
    from expanded
    group by geography_level, area_code, source_agency, observation_period_start

),

source_periods as (

    select distinct source_agency, observation_period_start from events

),

areas as (

    select distinct geography_level, geography_level_order, area_code, area_name, la_code, la_name
    from {{ ref('int_area_population__by_age_sex') }}
    where geography_level in ({%- for level in levels %}'{{ level }}'{% if not loop.last %}, {% endif %}{% endfor -%})

),

days as (

    {%- for day in ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] %}
    select {{ loop.index }} as day_order, '{{ day }}' as day_of_week
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

time_bands as (

    {%- for start in range(0, 24, band_hours) %}
    select {{ loop.index }} as time_band_order,
        '{{ "%02d:00-%02d:59" | format(start, start + band_hours - 1) }}' as time_band
    union all
    {%- endfor %}
    select {{ (24 // band_hours) + 1 }} as time_band_order, 'not recorded' as time_band

),

final as (

    select
        source_periods.observation_period_start,
        areas.geography_level,
        areas.geography_level_order,
        areas.area_code,
        areas.area_name,
        areas.la_code,
        areas.la_name,
        source_periods.source_agency,
        days.day_order,
        days.day_of_week,
        time_bands.time_band_order,
        time_bands.time_band,
        coalesce(counted.event_count, 0) as event_count,
        coalesce(area_totals.area_period_event_count, 0) as area_period_event_count
    from areas as areas
    cross join source_periods as source_periods
    cross join days as days
    cross join time_bands as time_bands
    left join counted as counted
        on areas.geography_level = counted.geography_level
        and areas.area_code = counted.area_code
        and source_periods.source_agency = counted.source_agency
        and source_periods.observation_period_start = counted.observation_period_start
        and days.day_order = counted.event_iso_day_of_week
        and time_bands.time_band_order = counted.time_band_order
    left join area_totals as area_totals
        on areas.geography_level = area_totals.geography_level
        and areas.area_code = area_totals.area_code
        and source_periods.source_agency = area_totals.source_agency
        and source_periods.observation_period_start = area_totals.observation_period_start

)

select * from final
