with

records as (

    -- loaded_at is the warehouse's bookkeeping (when the row was copied), not part of the record
    select {{ star_except('loaded_at') }} from {{ ref('stg_health__ed_attendances') }}

),

-- A record delivered again (a correction) supersedes the earlier copy: keep the most recently ingested one.
latest as (

    {{ deduplicate('records', partition_by='record_key', order_by='ingested_at desc, delivery_id desc, source_row_number desc') }}

)

select * from latest
