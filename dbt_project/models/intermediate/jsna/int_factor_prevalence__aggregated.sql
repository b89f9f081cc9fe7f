{#
    Raw (unrounded) factor prevalence per observation period per area (home area at the period's end) per age
    band and sex, for two groups: people affected by violence in the period (any role in fct_violence_event) and
    everyone the agencies recorded (with the ONS resident population beside them). Levels from var
    prevalence_geography_levels. Internal only: mart_factor_prevalence_by_area_age_sex applies disclosure control.
#}
{%- set levels = var('prevalence_geography_levels') -%}

with

people as (

    select * from {{ ref('int_person_home_area__by_period') }}

),

affected as (

    select distinct person_key, observation_period_start
    from {{ ref('fct_violence_event') }}
    where person_key is not null

),

person_rows as (

    select
        people.person_key,
        people.observation_period_start,
        people.home_lsoa_code,
        people.age_band,
        people.sex,
        affected.person_key is not null as is_affected
    from people as people
    left join affected as affected
        on people.person_key = affected.person_key
        and people.observation_period_start = affected.observation_period_start

),

person_factors as (

    select person_key, observation_period_start, factor_code
    from {{ ref('fct_person_factor') }}

),

-- People and people with each factor are counted per home LSOA first, then those counts are expanded to the area
-- levels and summed: the same totals as expanding every person row to every level, from far fewer rows (at force
-- scale 9.7M person factors became 29M rows when expanded to three levels before grouping).
people_by_lsoa as (

    select
        observation_period_start,
        home_lsoa_code,
        age_band,
        sex,
        sum(case when is_affected then 1 else 0 end) as affected_people
    from person_rows
    group by observation_period_start, home_lsoa_code, age_band, sex

),

factors_by_lsoa as (

    select
        person_rows.observation_period_start,
        person_rows.home_lsoa_code,
        person_rows.age_band,
        person_rows.sex,
        person_factors.factor_code,
        sum(case when person_rows.is_affected then 1 else 0 end) as affected_with_factor,
        count(*) as people_with_factor
    from person_rows as person_rows
    inner join person_factors as person_factors
        on person_rows.person_key = person_factors.person_key
        and person_rows.observation_period_start = person_factors.observation_period_start
    group by
        person_rows.observation_period_start,
        person_rows.home_lsoa_code,
        person_rows.age_band,
        person_rows.sex,
        person_factors.factor_code

),

people_expanded as (

    {{ expand_to_area_levels('people_by_lsoa', 'home_lsoa_code', ref('int_area_levels__expanded'), levels) }}

),

factors_expanded as (

    {{ expand_to_area_levels('factors_by_lsoa', 'home_lsoa_code', ref('int_area_levels__expanded'), levels) }}

),

affected_totals as (

    select
        observation_period_start,
        geography_level,
        area_code,
        case when grouping(age_band) = 1 then 'all' else age_band end as age_band,
        case when grouping(sex) = 1 then 'all' else sex end as sex,
        sum(affected_people) as affected_people
    from people_expanded
    group by grouping sets (
        (observation_period_start, geography_level, area_code, age_band, sex),
        (observation_period_start, geography_level, area_code, age_band),
        (observation_period_start, geography_level, area_code, sex),
        (observation_period_start, geography_level, area_code)
    )

),

factor_totals as (

    select
        observation_period_start,
        geography_level,
        area_code,
        factor_code,
        case when grouping(age_band) = 1 then 'all' else age_band end as age_band,
        case when grouping(sex) = 1 then 'all' else sex end as sex,
        sum(affected_with_factor) as affected_with_factor,
        cast(sum(people_with_factor) as {{ dbt.type_bigint() }}) as people_with_factor
    from factors_expanded
    group by grouping sets (
        (observation_period_start, geography_level, area_code, factor_code, age_band, sex),
        (observation_period_start, geography_level, area_code, factor_code, age_band),
        (observation_period_start, geography_level, area_code, factor_code, sex),
        (observation_period_start, geography_level, area_code, factor_code)
    )

),

periods as (

    select distinct observation_period_start from people

),

population as (

    select * from {{ ref('int_area_population__by_age_sex') }}
    where geography_level in ({%- for level in levels %}'{{ level }}'{% if not loop.last %}, {% endif %}{% endfor -%})

),

age_bands as (

    {{ age_band_rows(include_all=true) }}

),

factors as (

    select factor_code, factor_name, polarity, factor_order
    from {{ ref('dim_factor') }}
    where is_evidenced

),

final as (

    select
        periods.observation_period_start,
        population.geography_level,
        population.geography_level_order,
        population.area_code,
        population.area_name,
        population.la_code,
        population.la_name,
        population.age_band,
        age_bands.age_band_order,
        population.sex,
        factors.factor_code,
        factors.factor_name,
        factors.polarity,
        factors.factor_order,
        coalesce(affected_totals.affected_people, 0) as affected_people,
        coalesce(factor_totals.affected_with_factor, 0) as affected_with_factor,
        coalesce(factor_totals.people_with_factor, 0) as people_with_factor,
        population.resident_population
    from population as population
    inner join age_bands as age_bands
        on population.age_band = age_bands.age_band
    cross join periods as periods
    cross join factors as factors
    left join affected_totals as affected_totals
        on periods.observation_period_start = affected_totals.observation_period_start
        and population.geography_level = affected_totals.geography_level
        and population.area_code = affected_totals.area_code
        and population.age_band = affected_totals.age_band
        and population.sex = affected_totals.sex
    left join factor_totals as factor_totals
        on periods.observation_period_start = factor_totals.observation_period_start
        and population.geography_level = factor_totals.geography_level
        and population.area_code = factor_totals.area_code
        and population.age_band = factor_totals.age_band
        and population.sex = factor_totals.sex
        and factors.factor_code = factor_totals.factor_code

)

select * from final
