{#
    Published data-quality summary per partner per feed per delivery period: whether the feed was delivered and
    loaded, rows read/loaded/rejected (disclosure-controlled like every published count), completeness,
    timeliness, fields dropped under the agreement and whether bronze reconciles with the ledger.
#}

with

summary as (

    select * from {{ ref('int_data_quality__by_feed_period') }}

),

final as (

    select
        -- which feed and period
        partner,
        feed,
        feed_title,
        period,
        {{ period_start_date('period') }} as period_start,

        -- outcome
        delivery_status,
        reconciliation_status,

        -- disclosure-controlled measures
        {{ disclosed_count('rows_read', 'rows_read') }},
        {{ disclosed_count('rows_loaded', 'rows_loaded') }},
        {{ disclosed_count('rows_rejected', 'rows_rejected') }},
        {{ disclosure_percentage('rows_rejected', 'rows_read', precision=1) }} as pct_rows_rejected,
        {{ disclosed_count('values_removed', 'values_removed') }},

        -- completeness and timeliness (shares and days, not counts)
        round(100.0 * mean_completeness, 1) as mean_completeness_pct,
        round(100.0 * lowest_completeness, 1) as lowest_completeness_pct,
        lowest_completeness_field,
        round(typical_lag_days, 1) as typical_lag_days,
        fields_dropped,
        last_ingested_at
    from summary

)

select * from final
