{#
    LSOAs ranked by violence (police-recorded violence plus ED assaults under ISTV, by where it happened) per
    1,000 residents in each observation period; the top var hotspot_lsoa_share of LSOAs with any violence are
    hotspots (risk factor R17). Raw counts: internal only.
#}

with

events as (

    select
        lsoa_code,
        observation_period_start
    from {{ ref('fct_violence_event') }}
    where is_event_row
        and source_agency in ('police', 'ed_istv')
        and is_area_known

),

areas as (

    select lsoa_code, resident_population from {{ ref('dim_area') }}
    where resident_population > 0

),

periods as (

    select distinct observation_period_start from events

),

counted as (

    select
        periods.observation_period_start,
        areas.lsoa_code,
        areas.resident_population,
        count(events.lsoa_code) as event_count
    from periods as periods
    cross join areas as areas
    left join events as events
        on periods.observation_period_start = events.observation_period_start
        and areas.lsoa_code = events.lsoa_code
    group by periods.observation_period_start, areas.lsoa_code, areas.resident_population

),

ranked as (

    select
        *,
        1000.0 * event_count / resident_population as events_per_1000,
        row_number() over (
            partition by observation_period_start
            order by 1000.0 * event_count / resident_population desc, lsoa_code
        ) as rate_rank,
        count(*) over (partition by observation_period_start) as lsoas_ranked
    from counted

),

final as (

    select
        observation_period_start,
        lsoa_code,
        resident_population,
        event_count,
        events_per_1000,
        rate_rank,
        event_count > 0
            and rate_rank <= ceil(lsoas_ranked * {{ var('hotspot_lsoa_share') | float }}) as is_hotspot
    from ranked

)

select * from final
