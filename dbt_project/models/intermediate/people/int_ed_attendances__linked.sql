{# Every ED injury attendance with the linked person_key (when the linkage has placed it) and the age then. #}

with

attendances as (

    select * from {{ ref('int_ed_attendances__deduplicated') }}

),

person_index as (

    select * from {{ ref('stg_linkage__person_index') }}
    where source_feed = 'ed_attendances'

),

joined as (

    select
        attendances.*,
        person_index.person_key,
        person_index.person_key is not null as is_linked,
        -- the injury date when the trust recorded it, else the day the patient arrived
        coalesce(attendances.injury_date, attendances.arrival_date) as injury_reference_date,
        {{ age_in_years('attendances.birth_year_month', 'attendances.arrival_date') }} as age_at_arrival
    from attendances as attendances
    left join person_index as person_index
        on attendances.record_key = person_index.record_key

)

select
    *,
    {{ age_band('age_at_arrival') }} as age_band
from joined
