{#
    Published cohort overlap: how many people each exact combination of agencies (police, probation, education,
    health) recorded in an observation period, among everyone recorded and among people affected by violence, by
    home local authority and for the whole area. Every count goes through disclosure control; the share of the
    cohort uses published counts.
#}

with

counts as (

    select * from {{ ref('int_agency_cohorts__aggregated') }}

),

final as (

    select
        -- when
        observation_period_start,
        {{ observation_period_label('observation_period_start') }} as observation_period,

        -- where
        geography_level,
        geography_level_order,
        area_code,
        area_name,
        la_code,
        la_name,

        -- which people
        cohort,
        agency_combination,
        known_to_police,
        known_to_probation,
        known_to_education,
        known_to_health,

        -- disclosure-controlled measures
        {{ disclosed_count('people', 'people') }},
        {{ disclosed_count('cohort_people', 'cohort_people') }},
        {{ disclosure_percentage('people', 'cohort_people', precision=1) }} as pct_of_cohort
    from counts

)

select * from final
