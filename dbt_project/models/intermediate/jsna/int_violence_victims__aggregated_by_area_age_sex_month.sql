{#
    Raw (unrounded) counts of people affected by violence by where it happened, month, age band and sex: victims
    on police violence occurrences (one per victim per occurrence) and ED assault attendances under ISTV (one per
    attendance). 'all' rows total every age band or sex, including people whose age or sex was not recorded.
    Levels ward, local_authority and vru (LSOA-month-age-sex cells would be almost all suppressed). Months run
    from each source's first to last month; empty cells are 0. Internal only.
#}
{%- set levels = ['ward', 'local_authority', 'vru'] -%}

with

victims as (

    select
        source_agency,
        event_month_start,
        lsoa_code,
        age_band,
        sex
    from {{ ref('fct_violence_event') }}
    where (source_agency = 'police' and role = 'victim')
        or source_agency = 'ed_istv'

),

expanded as (

    {{ expand_to_area_levels('victims', 'lsoa_code', ref('int_area_levels__expanded'), levels) }}

),

counted as (

    select
        geography_level,
        area_code,
        source_agency,
        event_month_start as month_start,
        case when grouping(age_band) = 1 then 'all' else age_band end as age_band,
        case when grouping(sex) = 1 then 'all' else sex end as sex,
        count(*) as victim_count
    from expanded
    group by grouping sets (
        (geography_level, area_code, source_agency, event_month_start, age_band, sex),
        (geography_level, area_code, source_agency, event_month_start, age_band),
        (geography_level, area_code, source_agency, event_month_start, sex),
        (geography_level, area_code, source_agency, event_month_start)
    )

),

source_months as (

    select
        source_agency,
        {{ month_series('first_month', 'last_month', 'month_start') }}
    from (
        select source_agency, min(event_month_start) as first_month, max(event_month_start) as last_month
        from victims
        group by source_agency
    ) as bounds

),

population as (

    select * from {{ ref('int_area_population__by_age_sex') }}
    where geography_level in ({%- for level in levels %}'{{ level }}'{% if not loop.last %}, {% endif %}{% endfor -%})

),

age_bands as (

    {{ age_band_rows(include_all=true) }}

),

final as (

    select
        population.geography_level,
        population.geography_level_order,
        population.area_code,
        population.area_name,
        population.la_code,
        population.la_name,
        source_months.month_start,
        source_months.source_agency,
        population.age_band,
        age_bands.age_band_order,
        population.sex,
        coalesce(counted.victim_count, 0) as victim_count,
        population.resident_population
    from population as population
    inner join age_bands as age_bands
        on population.age_band = age_bands.age_band
    cross join source_months as source_months
    left join counted as counted
        on population.geography_level = counted.geography_level
        and population.area_code = counted.area_code
        and population.age_band = counted.age_band
        and population.sex = counted.sex
        and source_months.source_agency = counted.source_agency
        and source_months.month_start = counted.month_start

)

select * from final
