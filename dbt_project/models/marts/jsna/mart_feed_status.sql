{#
    Published status of every partner feed: when it last delivered, how far behind the most recent delivery of any
    feed it is, and whether it is current, stale or missing, in plain English. No counts.
#}

with

feeds as (

    select * from {{ ref('int_feed_status__evaluated') }}

),

final as (

    select
        partner,
        feed,
        feed_title,
        delivery,
        person_feed,
        first_period,
        last_period,
        last_loaded_at,
        latest_outcome,
        reference_period,
        months_behind as lag_months,
        expected_every_days,
        feed_status,
        case
            when feed_status = 'missing' and latest_outcome = 'quarantined'
                then 'Files arrived but none could be loaded (quarantined): nothing from this feed is in any figure.'
            when feed_status = 'missing'
                then 'Never delivered: nothing from this feed is in any figure.'
            when feed_status = 'stale'
                then {{ dbt.concat([
                    "'Last delivered for '", 'last_period', "', '",
                    'cast(months_behind as ' ~ dbt.type_string() ~ ')',
                    "' months behind the latest delivery of any feed ('", 'reference_period',
                    "'): figures for later months lack it.'"
                ]) }}
            when latest_outcome = 'quarantined'
                then {{ dbt.concat(["'Up to date to '", 'last_period', "', but its latest file was quarantined.'"]) }}
            else {{ dbt.concat(["'Up to date to '", 'last_period', "'.'"]) }}
        end as status_note
    from feeds

)

select * from final
