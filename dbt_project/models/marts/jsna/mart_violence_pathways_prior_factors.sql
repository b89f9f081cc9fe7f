{#
    Published pathways into violence: of the people whose first violence event in the data is in a cohort (all; as
    a victim or ED assault attendee; as a suspect or offender), how many had each factor observed by any agency in
    the var pathway_lookback_days before it, overall and for those whose whole look-back lies inside the data
    (the fair comparison while the lake is young). Every count goes through disclosure control; percentages use
    published counts.
#}

with

counts as (

    select * from {{ ref('int_violence_pathways__aggregated') }}

),

final as (

    select
        -- which people
        cohort,
        cohort_order,
        age_band,
        age_band_order,

        -- which factor
        factor_code,
        factor_name,
        polarity,
        factor_order,

        -- disclosure-controlled measures
        {{ disclosed_count('people_with_first_event', 'people_with_first_event') }},
        {{ disclosed_count('people_with_factor_before', 'people_with_factor_before') }},
        {{ disclosure_percentage('people_with_factor_before', 'people_with_first_event', precision=1) }}
            as pct_with_factor_before,
        {{ disclosed_count('people_with_complete_lookback', 'people_with_complete_lookback') }},
        {{ disclosed_count('complete_lookback_with_factor', 'complete_lookback_with_factor') }},
        {{ disclosure_percentage('complete_lookback_with_factor', 'people_with_complete_lookback', precision=1) }}
            as pct_complete_lookback_with_factor,

        -- definition and coverage
        {{ var('pathway_lookback_days') | int }} as lookback_days,
        data_start_date,
        first_event_from,
        first_event_to
    from counts

)

select * from final
