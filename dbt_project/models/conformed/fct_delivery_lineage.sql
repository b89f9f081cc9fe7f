{%- set snapshot_feeds = var('period_snapshot_feeds') -%}

with

deliveries as (

    select * from {{ ref('stg_ops__deliveries') }}

),

bronze_rows as (

    select * from {{ ref('int_bronze_rows__counted_by_delivery') }}

),

-- Loaded snapshot deliveries that a later loaded delivery for the same feed and period replaced in bronze.
superseded as (

    select distinct
        earlier.delivery_id,
        earlier.ingested_at
    from deliveries as earlier
    inner join deliveries as later
        on earlier.feed = later.feed
        and earlier.delivery_period = later.delivery_period
        and later.status = 'loaded'
        and later.ingested_at > earlier.ingested_at
    where earlier.status = 'loaded'
    {%- if snapshot_feeds %}
        and earlier.feed in (
            {%- for feed in snapshot_feeds %}'{{ feed }}'{% if not loop.last %}, {% endif %}{% endfor -%}
        )
    {%- else %}
        and false
    {%- endif %}

),

joined as (

    select
        deliveries.*,
        -- only the loaded outcome owns the bronze rows: duplicates share its delivery_id but loaded nothing
        case when deliveries.status = 'loaded' then coalesce(bronze_rows.bronze_rows, 0) else 0 end as bronze_rows,
        superseded.delivery_id is not null as is_superseded
    from deliveries
    left join bronze_rows
        on deliveries.feed = bronze_rows.feed
        and deliveries.delivery_id = bronze_rows.delivery_id
    left join superseded
        on deliveries.delivery_id = superseded.delivery_id
        and deliveries.ingested_at = superseded.ingested_at

),

final as (

    select
        -- ids
        {{ dbt.hash(dbt.concat(['delivery_id', "'|'", 'cast(ingested_at as ' ~ dbt.type_string() ~ ')'])) }}
            as delivery_outcome_id,
        delivery_id,
        content_sha256,
        run_id,

        -- what was delivered
        feed,
        partner,
        delivery_period,
        source_file,

        -- outcome
        status,
        reason,
        fields_dropped,
        contract_version,
        agreement_version,

        -- row accounting
        rows_read,
        rows_loaded,
        rows_rejected,
        values_removed,
        case
            when rows_read > 0 then round(cast(rows_rejected as double) / rows_read, 4)
        end as rejected_share,
        bronze_rows,
        is_superseded,
        case
            when status <> 'loaded' then 'not_loaded'
            when is_superseded and bronze_rows = 0 then 'superseded'
            when bronze_rows = rows_loaded then 'reconciled'
            else 'mismatch'
        end as reconciliation_status,

        -- timestamps (UTC)
        received_at,
        ingested_at
    from joined

)

select * from final
