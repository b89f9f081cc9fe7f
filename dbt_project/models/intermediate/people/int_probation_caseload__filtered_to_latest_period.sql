with

snapshots as (

    -- loaded_at is the warehouse's bookkeeping (when the row was copied), not part of the record
    select {{ star_except('loaded_at') }} from {{ ref('stg_probation__caseload') }}

),

-- A period_snapshot feed holds one full snapshot per period: the current state is the latest period.
latest_period as (

    select max(snapshot_period) as snapshot_period from snapshots

),

current_snapshot as (

    select snapshots.*
    from snapshots
    inner join latest_period
        on snapshots.snapshot_period = latest_period.snapshot_period

)

select * from current_snapshot
