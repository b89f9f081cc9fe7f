{#
    One row per feed in seed feeds: its first and latest loaded period, how far the latest is behind the latest
    period any feed has delivered, and whether it is current, stale (its latest period ends more than the
    contract's expected_every_days before the end of that reference period: figures for the months between lack
    it) or missing (never loaded). The report uses it to say what each figure lacks. This compares feeds with each
    other; ingestion's late-delivery check compares each feed with the calendar.
#}

with

feeds as (

    select * from {{ ref('feeds') }}

),

lineage as (

    select * from {{ ref('fct_delivery_lineage') }}

),

loaded as (

    select
        feed,
        min(delivery_period) as first_period,
        max(delivery_period) as last_period,
        max(ingested_at) as last_loaded_at
    from lineage
    where status = 'loaded' and delivery_period is not null
    group by feed

),

latest_outcome as (

    select feed, status as latest_outcome, ingested_at as latest_outcome_at
    from (
        select
            feed,
            status,
            ingested_at,
            row_number() over (partition by feed order by ingested_at desc, delivery_id) as recency
        from lineage
        where feed is not null
    ) as ranked
    where recency = 1

),

reference as (

    select max(last_period) as reference_period from loaded

),

final as (

    select
        feeds.partner,
        feeds.feed,
        feeds.title as feed_title,
        feeds.delivery,
        feeds.person_feed,
        feeds.expected_every_days,
        loaded.first_period,
        loaded.last_period,
        loaded.last_loaded_at,
        latest_outcome.latest_outcome,
        latest_outcome.latest_outcome_at,
        reference.reference_period,
        case
            when loaded.last_period is not null then cast(
                {{ dbt.datediff(period_start_date('loaded.last_period'), period_start_date('reference.reference_period'), 'month') }}
                as integer
            )
        end as months_behind,
        case
            when loaded.last_period is not null then cast(
                {{ dbt.datediff(period_end_date('loaded.last_period'), period_end_date('reference.reference_period'), 'day') }}
                as integer
            )
        end as days_behind
    from feeds as feeds
    cross join reference as reference
    left join loaded as loaded
        on feeds.feed = loaded.feed
    left join latest_outcome as latest_outcome
        on feeds.feed = latest_outcome.feed

)

select
    *,
    case
        when last_period is null then 'missing'
        when days_behind > expected_every_days then 'stale'
        else 'current'
    end as feed_status
from final
