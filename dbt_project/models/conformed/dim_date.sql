{#
    One row per calendar day from var date_spine_start to var date_spine_end: the calendar every event, record and
    published period joins to (months, ISO weekdays, observation periods).
#}

with

spine as (

    {{ dbt.date_spine(
        datepart="day",
        start_date="cast('" ~ var('date_spine_start') ~ "' as date)",
        end_date="cast('" ~ var('date_spine_end') ~ "' as date)"
    ) }}

),

days as (

    select cast(date_day as date) as date_day from spine

),

final as (

    select
        date_day,
        cast({{ vrlake.extract_part('year', 'date_day') }} as integer) as calendar_year,
        cast({{ vrlake.extract_part('month', 'date_day') }} as integer) as month_of_year,
        {{ month_start('date_day') }} as month_start,
        {{ format_period('date_day') }} as period,
        {{ iso_day_of_week('date_day') }} as iso_day_of_week,
        case {{ iso_day_of_week('date_day') }}
            when 1 then 'Monday' when 2 then 'Tuesday' when 3 then 'Wednesday' when 4 then 'Thursday'
            when 5 then 'Friday' when 6 then 'Saturday' else 'Sunday'
        end as day_name,
        {{ iso_day_of_week('date_day') }} >= 6 as is_weekend,
        {{ observation_period_start('date_day') }} as observation_period_start,
        {{ observation_period_label(observation_period_start('date_day')) }} as observation_period
    from days

)

select * from final
