{#
    Published factor prevalence: among people affected by violence in an observation period (victims, suspects,
    offenders, ED assault attendees; linked people only) the share with each risk or protective factor, beside the
    share of the whole resident population (ONS) whom the agencies recorded with it, by home area, age band and
    sex. prevalence_ratio > 1: the factor is more common among people affected by violence. Every count goes
    through disclosure control; percentages and the ratio use published counts only.
#}

with

counts as (

    select * from {{ ref('int_factor_prevalence__aggregated') }}

),

published as (

    select
        *,
        {{ disclosure_control('affected_people') }} as published_affected,
        {{ disclosure_control('affected_with_factor') }} as published_affected_with_factor,
        {{ disclosure_control('people_with_factor') }} as published_people_with_factor
    from counts

),

final as (

    select
        -- when
        observation_period_start,
        {{ observation_period_label('observation_period_start') }} as observation_period,

        -- where and who
        geography_level,
        geography_level_order,
        area_code,
        area_name,
        la_code,
        la_name,
        age_band,
        age_band_order,
        sex,

        -- which factor
        factor_code,
        factor_name,
        polarity,
        factor_order,

        -- disclosure-controlled measures
        published_affected as affected_people,
        {{ disclosure_display('affected_people') }} as affected_people_display,
        published_affected_with_factor as affected_with_factor,
        {{ disclosure_display('affected_with_factor') }} as affected_with_factor_display,
        {{ disclosure_percentage('affected_with_factor', 'affected_people', precision=1) }}
            as pct_affected_with_factor,
        published_people_with_factor as people_with_factor,
        {{ disclosure_display('people_with_factor') }} as people_with_factor_display,
        resident_population,
        {{ disclosure_rate('people_with_factor', 'resident_population', per=100, precision=2) }}
            as pct_population_with_factor,
        case
            when published_affected_with_factor is null or published_people_with_factor is null then null
            when coalesce(published_affected, 0) = 0 or published_people_with_factor = 0 then null
            when resident_population is null or resident_population <= 0 then null
            else round(
                (cast(published_affected_with_factor as double) / published_affected)
                / (cast(published_people_with_factor as double) / resident_population),
                1
            )
        end as prevalence_ratio
    from published

)

select * from final
