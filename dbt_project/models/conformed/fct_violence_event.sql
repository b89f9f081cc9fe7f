with

events as (

    select * from {{ ref('int_violence_events__unioned') }}

),

areas as (

    select lsoa_code from {{ ref('dim_area') }}

),

final as (

    select
        -- ids
        events.violence_event_id,
        events.source_agency,
        events.source_feed,
        events.source_record_key,

        -- when
        events.event_date,
        {{ month_start('events.event_date') }} as event_month_start,
        events.event_time,

        -- where
        events.lsoa_code,
        areas.lsoa_code is not null as is_area_known,
        events.location_type,
        events.ed_site_code,

        -- what
        events.ho_code,
        events.violence_category,
        events.means_of_assault,
        events.is_weapon_involved,
        events.is_domestic_abuse,

        -- lineage
        events.delivery_id,
        events.ingested_at
    from events
    left join areas
        on events.lsoa_code = areas.lsoa_code

)

select * from final
