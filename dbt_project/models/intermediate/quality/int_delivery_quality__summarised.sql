{#
    One summary per delivery from ingestion's long-form quality measures: mean and lowest completeness across the
    contract's fields (and which field was lowest), and the median lag from event to delivery.
#}

with

quality as (

    select * from {{ ref('stg_ops__quality') }}

),

completeness as (

    select
        delivery_id,
        field,
        metric_value,
        row_number() over (partition by delivery_id order by metric_value, field) as lowest_first
    from quality
    where metric = 'completeness'

),

completeness_summary as (

    select
        delivery_id,
        avg(metric_value) as mean_completeness,
        min(metric_value) as lowest_completeness,
        max(case when lowest_first = 1 then field end) as lowest_completeness_field
    from completeness
    group by delivery_id

),

lag as (

    select delivery_id, max(metric_value) as median_lag_days
    from quality
    where metric = 'median_lag_days'
    group by delivery_id

),

deliveries as (

    select distinct delivery_id from quality

),

final as (

    select
        deliveries.delivery_id,
        completeness_summary.mean_completeness,
        completeness_summary.lowest_completeness,
        completeness_summary.lowest_completeness_field,
        lag.median_lag_days
    from deliveries as deliveries
    left join completeness_summary as completeness_summary
        on deliveries.delivery_id = completeness_summary.delivery_id
    left join lag as lag
        on deliveries.delivery_id = lag.delivery_id

)

select * from final
