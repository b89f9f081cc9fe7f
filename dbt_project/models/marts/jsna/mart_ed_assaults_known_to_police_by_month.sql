{#
    The ED-police gap (Cardiff Model evidence): of the people treated in ED for an assault, how many the police
    recorded as a victim of violence. Needs the linkage: the mart is empty until linkage/person_index has rows.
    Every count goes through disclosure control; see macros/disclosure/disclosure_control.sql.
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

months as (

    select {{ month_series('first_month', 'last_month', 'month_start') }}
    from (
        select
            min(arrival_month_start) as first_month,
            max(arrival_month_start) as last_month
        from attendances
    ) as bounds
    where first_month is not null

),

monthly as (

    select
        months.month_start,
        count(attendances.record_key) as ed_assault_attendances,
        sum(case when attendances.is_known_to_police then 1 else 0 end) as known_to_police,
        sum(case when attendances.is_known_to_police = false then 1 else 0 end) as not_known_to_police,
        sum(case when attendances.is_linked = false then 1 else 0 end) as awaiting_linkage
    from months
    left join attendances
        on months.month_start = attendances.arrival_month_start
    group by months.month_start

),

final as (

    select
        -- when
        monthly.month_start,
        {{ format_period('monthly.month_start') }} as period,

        -- disclosure-controlled measures
        {{ disclosed_count('monthly.ed_assault_attendances', 'ed_assault_attendances') }},
        {{ disclosed_count('monthly.known_to_police', 'known_to_police') }},
        {{ disclosed_count('monthly.not_known_to_police', 'not_known_to_police') }},
        {{ disclosed_count('monthly.awaiting_linkage', 'awaiting_linkage') }},
        {{ disclosure_percentage(
            'monthly.not_known_to_police',
            'monthly.known_to_police + monthly.not_known_to_police',
            precision=1
        ) }} as pct_not_known_to_police,

        -- definition and provenance
        {{ var('ed_police_match_window_days') | int }} as match_window_days,
        linkage.linkage_model_version
    from monthly
    cross join linkage
    where linkage.linked_records > 0

)

select * from final
