{#
    Raw (unrounded) counts of people by the exact combination of agencies that recorded them in an observation
    period (police, probation, education, health: 15 combinations), for everyone the agencies recorded and for
    people affected by violence in the period, by home area at the period's end (local_authority and vru).
    Internal only: mart_agency_cohort_overlap applies disclosure control.
#}
{%- set levels = ['local_authority', 'vru'] -%}
{%- set agencies = ['police', 'probation', 'education', 'health'] -%}

with

records as (

    select * from {{ ref('int_person_records__unioned') }}

),

people as (

    select * from {{ ref('int_person_home_area__by_period') }}

),

affected as (

    select distinct person_key, observation_period_start
    from {{ ref('fct_violence_event') }}
    where person_key is not null

),

known as (

    select
        person_key,
        observation_period_start,
        {%- for agency in agencies %}
        max(case when partner = '{{ agency }}' then 1 else 0 end) as known_to_{{ agency }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from records
    group by person_key, observation_period_start

),

person_rows as (

    select
        known.*,
        people.home_lsoa_code,
        affected.person_key is not null as is_affected
    from known as known
    inner join people as people
        on known.person_key = people.person_key
        and known.observation_period_start = people.observation_period_start
    left join affected as affected
        on known.person_key = affected.person_key
        and known.observation_period_start = affected.observation_period_start

),

expanded as (

    {{ expand_to_area_levels('person_rows', 'home_lsoa_code', ref('int_area_levels__expanded'), levels) }}

),

cohorts as (

    select expanded.*, 'all_known_people' as cohort from expanded
    union all
    select expanded.*, 'affected_by_violence' as cohort from expanded where is_affected

),

counted as (

    select
        observation_period_start,
        geography_level,
        area_code,
        cohort,
        {%- for agency in agencies %}
        known_to_{{ agency }},
        {%- endfor %}
        count(*) as people
    from cohorts
    group by
        observation_period_start, geography_level, area_code, cohort,
        {%- for agency in agencies %} known_to_{{ agency }}{% if not loop.last %},{% endif %}{% endfor %}

),

cohort_totals as (

    select observation_period_start, geography_level, area_code, cohort, count(*) as cohort_people
    from cohorts
    group by observation_period_start, geography_level, area_code, cohort

),

-- every non-empty combination of the four agencies
combinations as (

    {%- set combos = [] -%}
    {%- for mask in range(1, 16) -%}
        {%- do combos.append(mask) -%}
    {%- endfor %}
    {%- for mask in combos %}
    select
        {%- set members = [] -%}
        {%- for agency in agencies -%}
            {%- if (mask // (2 ** loop.index0)) % 2 == 1 -%}{%- do members.append(agency) -%}{%- endif -%}
        {%- endfor %}
        {%- for agency in agencies %}
        {{ 1 if agency in members else 0 }} as known_to_{{ agency }},
        {%- endfor %}
        '{{ members | join(" + ") }}' as agency_combination,
        {{ members | length }} as combination_size
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

areas as (

    select distinct geography_level, geography_level_order, area_code, area_name, la_code, la_name
    from {{ ref('int_area_population__by_age_sex') }}
    where geography_level in ({%- for level in levels %}'{{ level }}'{% if not loop.last %}, {% endif %}{% endfor -%})

),

periods as (

    select distinct observation_period_start from person_rows

),

cohort_names as (

    select 'all_known_people' as cohort
    union all
    select 'affected_by_violence' as cohort

),

final as (

    select
        periods.observation_period_start,
        areas.geography_level,
        areas.geography_level_order,
        areas.area_code,
        areas.area_name,
        areas.la_code,
        areas.la_name,
        cohort_names.cohort,
        combinations.agency_combination,
        combinations.combination_size,
        {%- for agency in agencies %}
        combinations.known_to_{{ agency }} = 1 as known_to_{{ agency }},
        {%- endfor %}
        coalesce(counted.people, 0) as people,
        coalesce(cohort_totals.cohort_people, 0) as cohort_people
    from areas as areas
    cross join periods as periods
    cross join cohort_names as cohort_names
    cross join combinations as combinations
    left join counted as counted
        on periods.observation_period_start = counted.observation_period_start
        and areas.geography_level = counted.geography_level
        and areas.area_code = counted.area_code
        and cohort_names.cohort = counted.cohort
        {%- for agency in agencies %}
        and combinations.known_to_{{ agency }} = counted.known_to_{{ agency }}
        {%- endfor %}
    left join cohort_totals as cohort_totals
        on periods.observation_period_start = cohort_totals.observation_period_start
        and areas.geography_level = cohort_totals.geography_level
        and areas.area_code = cohort_totals.area_code
        and cohort_names.cohort = cohort_totals.cohort

)

select * from final
