with

source as (

    select * from {{ source('ops', 'quality') }}

),

renamed as (

    select
        -- ids
        cast(delivery_id as string) as delivery_id,

        -- what was delivered
        cast(feed as string) as feed,
        cast(partner as string) as partner,
        cast(period as string) as delivery_period,

        -- measure
        cast(metric as string) as metric,
        cast(field as string) as field,
        cast(value as double) as metric_value,

        -- timestamps (UTC)
        {{ utc_timestamp("recorded_at") }} as recorded_at

    from source

)

select * from renamed
