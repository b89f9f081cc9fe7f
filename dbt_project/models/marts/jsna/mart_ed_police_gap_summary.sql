{#
    The ED-police gap over the whole period covered, overall and by age band and by sex: of the ED assault
    attendances the linkage placed, the share with no police record of the same person as a victim of violence
    (var ed_police_match_roles) within var ed_police_match_window_days. Empty until linkage/person_index has
    rows. Every count goes through disclosure control; the percentage uses published counts.
#}

with

attendances as (

    select * from {{ ref('int_ed_assault_attendances__matched_to_police') }}

),

linkage as (

    select
        count(*) as linked_records,
        max(model_version) as linkage_model_version
    from {{ ref('stg_linkage__person_index') }}

),

grouped as (

    select
        case
            when grouping(age_band) = 0 then 'age_band'
            when grouping(sex) = 0 then 'sex'
            else 'all'
        end as breakdown,
        case
            when grouping(age_band) = 0 then age_band
            when grouping(sex) = 0 then sex
            else 'all'
        end as group_value,
        count(*) as ed_assault_attendances,
        sum(case when is_known_to_police then 1 else 0 end) as known_to_police,
        sum(case when is_known_to_police = false then 1 else 0 end) as not_known_to_police,
        sum(case when is_linked = false then 1 else 0 end) as awaiting_linkage,
        min(arrival_month_start) as first_month,
        max(arrival_month_start) as last_month
    from attendances
    group by grouping sets ((age_band), (sex), ())

),

groups as (

    select 'all' as breakdown, 'all' as group_value, 0 as group_order
    union all
    select 'age_band' as breakdown, age_band as group_value, age_band_order as group_order
    from ({{ age_band_rows() }}) as bands
    union all
    select 'sex' as breakdown, 'F' as group_value, 1 as group_order
    union all
    select 'sex' as breakdown, 'M' as group_value, 2 as group_order

),

totals as (

    select min(arrival_month_start) as first_month, max(arrival_month_start) as last_month from attendances

),

final as (

    select
        -- which group
        groups.breakdown,
        groups.group_value,
        groups.group_order,

        -- period covered
        {{ format_period('totals.first_month') }} as first_period,
        {{ format_period('totals.last_month') }} as last_period,

        -- disclosure-controlled measures
        {{ disclosed_count('coalesce(grouped.ed_assault_attendances, 0)', 'ed_assault_attendances') }},
        {{ disclosed_count('coalesce(grouped.known_to_police, 0)', 'known_to_police') }},
        {{ disclosed_count('coalesce(grouped.not_known_to_police, 0)', 'not_known_to_police') }},
        {{ disclosed_count('coalesce(grouped.awaiting_linkage, 0)', 'awaiting_linkage') }},
        {{ disclosure_percentage(
            'coalesce(grouped.not_known_to_police, 0)',
            'coalesce(grouped.known_to_police, 0) + coalesce(grouped.not_known_to_police, 0)',
            precision=1
        ) }} as pct_not_known_to_police,

        -- definition and provenance
        {{ var('ed_police_match_window_days') | int }} as match_window_days,
        linkage.linkage_model_version
    from groups as groups
    cross join totals as totals
    cross join linkage as linkage
    left join grouped as grouped
        on groups.breakdown = grouped.breakdown
        and groups.group_value = grouped.group_value
    where linkage.linked_records > 0
        and totals.first_month is not null

)

select * from final
