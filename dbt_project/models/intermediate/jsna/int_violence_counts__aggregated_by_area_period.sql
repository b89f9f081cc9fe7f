{#
    Raw (unrounded) violent events (police violence occurrences; ED assaults under ISTV) per area at every
    geography level per observation period per source, with the resident population and how many months of the
    period the source has any event in (periods at the edges of the data are partly covered). Internal only:
    mart_violence_by_area_year applies disclosure control and ranks areas.
#}
{%- set levels = ['lsoa', 'ward', 'local_authority', 'vru'] -%}

with

events as (

    select
        source_agency,
        observation_period_start,
        event_month_start,
        lsoa_code
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
        count(*) as event_count
    from expanded
    group by geography_level, area_code, source_agency, observation_period_start

),

source_periods as (

    select
        source_agency,
        observation_period_start,
        count(distinct event_month_start) as coverage_months
    from events
    group by source_agency, observation_period_start

),

population as (

    select * from {{ ref('int_area_population__by_age_sex') }}
    where age_band = 'all' and sex = 'all'

),

final as (

    select
        source_periods.observation_period_start,
        population.geography_level,
        population.geography_level_order,
        population.area_code,
        population.area_name,
        population.la_code,
        population.la_name,
        source_periods.source_agency,
        source_periods.coverage_months,
        coalesce(counted.event_count, 0) as event_count,
        population.resident_population
    from population as population
    cross join source_periods as source_periods
    left join counted as counted
        on population.geography_level = counted.geography_level
        and population.area_code = counted.area_code
        and source_periods.source_agency = counted.source_agency
        and source_periods.observation_period_start = counted.observation_period_start

)

select * from final
