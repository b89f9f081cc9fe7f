{#
    Raw (unrounded) data-quality summary per partner per feed per delivery period: what was delivered and loaded,
    rows read, loaded and rejected, completeness and timeliness. Every feed in seed feeds appears for every period
    from the first to the latest delivered period, 'not delivered' when nothing came; files no feed recognised
    appear as feed 'unrecognised'. A snapshot delivery replaced by a later one for the same period is left out.
    Internal only: mart_data_quality_by_partner_period applies disclosure control.
#}

with

lineage as (

    select
        *,
        coalesce(delivery_period, {{ format_period('ingested_at') }}) as period
    from {{ ref('fct_delivery_lineage') }}

),

quality as (

    select * from {{ ref('int_delivery_quality__summarised') }}

),

feeds as (

    select feed, partner, title as feed_title from {{ ref('feeds') }}

    union all

    select distinct 'unrecognised' as feed, partner, 'Files no feed recognised' as feed_title
    from lineage
    where feed is null

),

periods as (

    select {{ format_period('month_start') }} as period
    from (
        select {{ month_series('first_month', 'last_month', 'month_start') }}
        from (
            select
                min({{ period_start_date('period') }}) as first_month,
                max({{ period_start_date('period') }}) as last_month
            from lineage
        ) as bounds
        where first_month is not null
    ) as months

),

outcomes as (

    select
        coalesce(lineage.feed, 'unrecognised') as feed,
        lineage.partner,
        lineage.period,
        max(case when lineage.status = 'loaded' and not lineage.is_superseded then 1 else 0 end) as was_loaded,
        max(case when lineage.status = 'quarantined' then 1 else 0 end) as was_quarantined,
        max(case when lineage.status = 'duplicate' then 1 else 0 end) as was_duplicate,
        sum(case when lineage.status = 'loaded' and not lineage.is_superseded then lineage.rows_read else 0 end)
            as rows_read,
        sum(case when lineage.status = 'loaded' and not lineage.is_superseded then lineage.rows_loaded else 0 end)
            as rows_loaded,
        sum(case when lineage.status = 'loaded' and not lineage.is_superseded then lineage.rows_rejected else 0 end)
            as rows_rejected,
        sum(case when lineage.status = 'loaded' and not lineage.is_superseded then lineage.values_removed else 0 end)
            as values_removed,
        max(case when lineage.reconciliation_status = 'mismatch' then 1 else 0 end) as has_mismatch,
        avg(case when not lineage.is_superseded then quality.mean_completeness end) as mean_completeness,
        min(case when not lineage.is_superseded then quality.lowest_completeness end) as lowest_completeness,
        avg(case when not lineage.is_superseded then quality.median_lag_days end) as typical_lag_days,
        max(lineage.ingested_at) as last_ingested_at
    from lineage as lineage
    left join quality as quality
        on lineage.delivery_id = quality.delivery_id
        and lineage.status = 'loaded'
    group by coalesce(lineage.feed, 'unrecognised'), lineage.partner, lineage.period

),

lowest_field as (

    select feed, period, lowest_completeness_field
    from (
        select
            lineage.feed,
            lineage.period,
            quality.lowest_completeness_field,
            row_number() over (
                partition by lineage.feed, lineage.period
                order by quality.lowest_completeness, quality.lowest_completeness_field
            ) as lowest_first
        from lineage as lineage
        inner join quality as quality
            on lineage.delivery_id = quality.delivery_id
        where lineage.status = 'loaded' and not lineage.is_superseded
    ) as ranked
    where lowest_first = 1

),

dropped as (

    select
        feed,
        period,
        {{ dbt.listagg('fields_dropped', "'; '", 'order by fields_dropped') }} as fields_dropped
    from (
        select distinct feed, period, fields_dropped
        from lineage
        where status = 'loaded' and fields_dropped is not null and fields_dropped <> ''
    ) as distinct_dropped
    group by feed, period

),

final as (

    select
        feeds.partner,
        feeds.feed,
        feeds.feed_title,
        periods.period,
        case
            when outcomes.was_loaded = 1 and outcomes.rows_rejected > 0 then 'loaded with rejected rows'
            when outcomes.was_loaded = 1 then 'loaded'
            when outcomes.was_quarantined = 1 then 'quarantined'
            when outcomes.was_duplicate = 1 then 'duplicate only'
            else 'not delivered'
        end as delivery_status,
        coalesce(outcomes.rows_read, 0) as rows_read,
        coalesce(outcomes.rows_loaded, 0) as rows_loaded,
        coalesce(outcomes.rows_rejected, 0) as rows_rejected,
        coalesce(outcomes.values_removed, 0) as values_removed,
        outcomes.mean_completeness,
        outcomes.lowest_completeness,
        lowest_field.lowest_completeness_field,
        outcomes.typical_lag_days,
        dropped.fields_dropped,
        case
            when outcomes.has_mismatch = 1 then 'mismatch'
            when outcomes.was_loaded = 1 then 'reconciled'
        end as reconciliation_status,
        outcomes.last_ingested_at
    from feeds as feeds
    cross join periods as periods
    left join outcomes as outcomes
        on feeds.feed = outcomes.feed
        and feeds.partner = outcomes.partner
        and periods.period = outcomes.period
    left join lowest_field as lowest_field
        on feeds.feed = lowest_field.feed
        and periods.period = lowest_field.period
    left join dropped as dropped
        on feeds.feed = dropped.feed
        and periods.period = dropped.period
    -- unrecognised files appear only in the periods they arrived in
    where feeds.feed <> 'unrecognised' or outcomes.feed is not null

)

select * from final
