with

source as (

    select * from {{ source('ops', 'deliveries') }}

),

renamed as (

    select
        -- ids
        cast(delivery_id as string) as delivery_id,
        cast(content_sha256 as string) as content_sha256,
        cast(run_id as string) as run_id,

        -- what was delivered
        cast(feed as string) as feed,
        cast(partner as string) as partner,
        cast(period as string) as delivery_period,
        cast(source_file as string) as source_file,

        -- outcome
        cast(status as string) as status,
        cast(reason as string) as reason,
        cast(fields_dropped as string) as fields_dropped,
        cast(contract_version as integer) as contract_version,
        cast(agreement_version as integer) as agreement_version,

        -- row accounting
        cast(rows_read as bigint) as rows_read,
        cast(rows_loaded as bigint) as rows_loaded,
        cast(rows_rejected as bigint) as rows_rejected,
        cast(values_removed as bigint) as values_removed,

        -- timestamps (UTC)
        {{ utc_timestamp("received_at") }} as received_at,
        {{ utc_timestamp("ingested_at") }} as ingested_at

    from source

)

select * from renamed
