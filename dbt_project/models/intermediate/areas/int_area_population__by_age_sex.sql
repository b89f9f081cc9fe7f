{#
    Resident population (ONS reference) of every area at every geography level, by age band and sex, with 'all'
    totals: the denominators of published rates. Public statistics, not disclosure-controlled.
#}

with

population as (

    select * from {{ ref('dim_area_population') }}

),

levels as (

    select * from {{ ref('int_area_levels__expanded') }}

),

areas as (

    select distinct geography_level, geography_level_order, area_code, area_name, la_code, la_name
    from levels

),

by_area as (

    select
        levels.geography_level,
        levels.area_code,
        population.age_band,
        population.sex,
        population.population
    from population
    inner join levels
        on population.lsoa_code = levels.lsoa_code

),

-- 'all' totals over age bands, sexes or both
totalled as (

    select
        geography_level,
        area_code,
        case when grouping(age_band) = 1 then 'all' else age_band end as age_band,
        case when grouping(sex) = 1 then 'all' else sex end as sex,
        cast(sum(population) as bigint) as resident_population
    from by_area
    group by grouping sets (
        (geography_level, area_code, age_band, sex),
        (geography_level, area_code, age_band),
        (geography_level, area_code, sex),
        (geography_level, area_code)
    )

),

final as (

    select
        areas.geography_level,
        areas.geography_level_order,
        areas.area_code,
        areas.area_name,
        areas.la_code,
        areas.la_name,
        totalled.age_band,
        totalled.sex,
        totalled.resident_population
    from totalled
    inner join areas
        on totalled.geography_level = areas.geography_level
        and totalled.area_code = areas.area_code

)

select * from final
