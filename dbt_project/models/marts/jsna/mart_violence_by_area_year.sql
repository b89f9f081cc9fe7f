{#
    Published area ranking: violent events per area per observation period (financial year by default) per source,
    with the rate per 1,000 residents and each area's rank among the areas of its level by that published rate.
    Every count goes through disclosure control; ranks use only published rates, so they reveal nothing more.
#}

with

counts as (

    select * from {{ ref('int_violence_counts__aggregated_by_area_period') }}

),

published as (

    select
        *,
        {{ disclosed_count('event_count', 'violence_count') }},
        {{ disclosure_rate('event_count', 'resident_population', per=1000, precision=1) }} as violence_rate_per_1000
    from counts

),

final as (

    select
        -- when
        observation_period_start,
        {{ observation_period_label('observation_period_start') }} as observation_period,
        coverage_months,

        -- where
        geography_level,
        geography_level_order,
        area_code,
        area_name,
        la_code,
        la_name,

        -- which source
        source_agency,

        -- disclosure-controlled measures
        violence_count,
        violence_count_display,
        resident_population,
        violence_rate_per_1000,
        case
            when violence_rate_per_1000 is not null then cast(rank() over (
                partition by observation_period_start, geography_level, source_agency,
                    case when violence_rate_per_1000 is null then 1 else 0 end
                order by violence_rate_per_1000 desc
            ) as integer)
        end as rate_rank
    from published

)

select * from final
