with

snapshots as (

    -- loaded_at is the warehouse's bookkeeping (when the row was copied), not part of the record
    select {{ star_except('loaded_at') }} from {{ ref('stg_education__census') }}

),

-- A period_snapshot feed holds one full snapshot per period: the current state is the latest period.
latest_period as (

    select max(census_period) as census_period from snapshots

),

current_snapshot as (

    select snapshots.*
    from snapshots
    inner join latest_period
        on snapshots.census_period = latest_period.census_period

)

select * from current_snapshot
