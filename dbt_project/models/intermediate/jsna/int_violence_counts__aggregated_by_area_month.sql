{#
    Raw (unrounded) violence counts for every area at every geography level, every month and every source.
    Not for publication: mart_violence_by_area_month applies disclosure control to these counts. Higher levels
    are counted from events, never summed from rounded cells (the NHS rule rounds totals after adding).
#}

with

events as (

    select
        source_agency,
        event_month_start,
        lsoa_code,
        is_area_known
    from {{ ref('fct_violence_event') }}
    -- one row per event (not per person in it), from the two sources that record where violence happened
    where is_event_row
        and source_agency in ('police', 'ed_istv')

),

areas as (

    select * from {{ ref('dim_area') }}

),

-- Each source's months from its first to its last event: months without events are real zeros, published as 0.
source_months as (

    select
        source_agency,
        {{ month_series('first_month', 'last_month', 'month_start') }}
    from (
        select
            source_agency,
            min(event_month_start) as first_month,
            max(event_month_start) as last_month
        from events
        group by source_agency
    ) as bounds

),

-- Every LSOA with the area it belongs to at each level.
lsoa_membership as (

    select 'lsoa' as geography_level, lsoa_code as area_code, lsoa_name as area_name, la_code, la_name, lsoa_code
    from areas
    union all
    select 'ward' as geography_level, ward_code, ward_name, la_code, la_name, lsoa_code
    from areas
    union all
    select 'local_authority' as geography_level, la_code, la_name, la_code, la_name, lsoa_code
    from areas

),

area_levels as (

    select
        lsoa_membership.geography_level,
        lsoa_membership.area_code,
        max(lsoa_membership.area_name) as area_name,
        max(lsoa_membership.la_code) as la_code,
        max(lsoa_membership.la_name) as la_name,
        cast(sum(areas.resident_population) as bigint) as resident_population
    from lsoa_membership
    inner join areas
        on lsoa_membership.lsoa_code = areas.lsoa_code
    group by lsoa_membership.geography_level, lsoa_membership.area_code

    union all

    -- the whole partnership area also counts events whose LSOA is missing or outside the reference data
    select
        'vru' as geography_level,
        '{{ var("vru_area_code") }}' as area_code,
        '{{ var("vru_area_name") }}' as area_name,
        cast(null as string) as la_code,
        cast(null as string) as la_name,
        cast(sum(resident_population) as bigint) as resident_population
    from areas

),

area_counts as (

    select
        lsoa_membership.geography_level,
        lsoa_membership.area_code,
        events.source_agency,
        events.event_month_start as month_start,
        count(*) as event_count
    from events
    inner join lsoa_membership
        on events.lsoa_code = lsoa_membership.lsoa_code
    group by
        lsoa_membership.geography_level,
        lsoa_membership.area_code,
        events.source_agency,
        events.event_month_start

    union all

    select
        'vru' as geography_level,
        '{{ var("vru_area_code") }}' as area_code,
        source_agency,
        event_month_start as month_start,
        count(*) as event_count
    from events
    group by source_agency, event_month_start

),

final as (

    select
        area_levels.geography_level,
        area_levels.area_code,
        area_levels.area_name,
        area_levels.la_code,
        area_levels.la_name,
        source_months.month_start,
        source_months.source_agency,
        coalesce(area_counts.event_count, 0) as event_count,
        area_levels.resident_population
    from area_levels
    cross join source_months
    left join area_counts
        on area_levels.geography_level = area_counts.geography_level
        and area_levels.area_code = area_counts.area_code
        and source_months.source_agency = area_counts.source_agency
        and source_months.month_start = area_counts.month_start

)

select * from final
