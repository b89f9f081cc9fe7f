{#
    Every probation caseload snapshot row (all periods, not only the latest: the history shows when a need was
    assessed) with the linked person_key. A snapshot describes the caseload at the end of its month.
#}

with

snapshots as (

    -- loaded_at is the warehouse's bookkeeping (when the row was copied), not part of the record
    select {{ star_except('loaded_at') }} from {{ ref('stg_probation__caseload') }}

),

person_index as (

    select * from {{ ref('stg_linkage__person_index') }}
    where source_feed = 'probation_caseload'

),

final as (

    select
        snapshots.*,
        {{ period_end_date('snapshots.snapshot_period') }} as snapshot_date,
        person_index.person_key,
        person_index.person_key is not null as is_linked
    from snapshots as snapshots
    left join person_index as person_index
        on snapshots.record_key = person_index.record_key

)

select * from final
