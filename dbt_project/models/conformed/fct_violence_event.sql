{#
    One row per person per violent event, plus the events no person is attached to:

    - police violence occurrences: one row per victim, suspect and offender recorded on it (witnesses and missing
      persons are not "affected" in this sense), or one row with no person when none was recorded;
    - ED assault attendances from ECDS (injury intent assault): one row for the patient, role ed_assault_attendee;
    - ISTV assault attendances: one row with no person (ISTV carries no identifiers).

    is_event_row marks exactly one row per violence_event_id, so events are counted with
    `where is_event_row` and people with `count(distinct person_key)`. ECDS and ISTV describe the same
    attendances from two angles (patient and place): area marts count ISTV, person marts use ECDS.
#}

with

events as (

    select * from {{ ref('int_violence_events__unioned') }}

),

nominals as (

    select * from {{ ref('int_police_nominals__joined_to_occurrences') }}
    where role in ('victim', 'suspect', 'offender')

),

ed_attendances as (

    select * from {{ ref('int_ed_attendances__linked') }}
    where injury_intent = 'assault'

),

areas as (

    select lsoa_code from {{ ref('dim_area') }}

),

police_people as (

    select
        events.violence_event_id,
        events.source_agency,
        'police' as partner,
        events.source_feed,
        events.source_record_key,
        nominals.record_key as person_record_key,
        nominals.person_key,
        nominals.role,
        events.event_date,
        events.event_time,
        events.lsoa_code,
        nominals.residence_lsoa as residence_lsoa_code,
        {{ age_in_years('nominals.birth_year_month', 'events.event_date') }} as age_at_event,
        case when nominals.sex in ('F', 'M') then nominals.sex end as sex,
        cast(null as {{ dbt.type_string() }}) as recorded_age_band,
        events.location_type,
        events.ed_site_code,
        events.ho_code,
        events.violence_category,
        events.means_of_assault,
        events.is_weapon_involved,
        events.is_domestic_abuse,
        events.delivery_id,
        events.ingested_at
    from events as events
    left join nominals as nominals
        on events.source_record_key = nominals.occurrence_record_key
    where events.source_agency = 'police'

),

istv as (

    select
        events.violence_event_id,
        events.source_agency,
        'health' as partner,
        events.source_feed,
        events.source_record_key,
        cast(null as {{ dbt.type_string() }}) as person_record_key,
        cast(null as {{ dbt.type_string() }}) as person_key,
        cast(null as {{ dbt.type_string() }}) as role,
        events.event_date,
        events.event_time,
        events.lsoa_code,
        cast(null as {{ dbt.type_string() }}) as residence_lsoa_code,
        cast(null as integer) as age_at_event,
        case when events.recorded_sex in ('F', 'M') then events.recorded_sex end as sex,
        events.recorded_age_band,
        events.location_type,
        events.ed_site_code,
        events.ho_code,
        events.violence_category,
        events.means_of_assault,
        events.is_weapon_involved,
        events.is_domestic_abuse,
        events.delivery_id,
        events.ingested_at
    from events as events
    where events.source_agency = 'ed_istv'

),

ecds as (

    select
        {{ dbt.concat(["'ed_ecds:'", 'record_key']) }} as violence_event_id,
        'ed_ecds' as source_agency,
        'health' as partner,
        'ed_attendances' as source_feed,
        record_key as source_record_key,
        record_key as person_record_key,
        person_key,
        'ed_assault_attendee' as role,
        injury_reference_date as event_date,
        -- ECDS records the arrival time, not the time of the assault
        cast(null as {{ dbt.type_string() }}) as event_time,
        -- ECDS records the patient's home, not where the assault happened
        cast(null as {{ dbt.type_string() }}) as lsoa_code,
        residence_lsoa as residence_lsoa_code,
        {{ age_in_years('birth_year_month', 'injury_reference_date') }} as age_at_event,
        case when sex in ('F', 'M') then sex end as sex,
        cast(null as {{ dbt.type_string() }}) as recorded_age_band,
        cast(null as {{ dbt.type_string() }}) as location_type,
        site_code as ed_site_code,
        cast(null as {{ dbt.type_string() }}) as ho_code,
        cast(null as {{ dbt.type_string() }}) as violence_category,
        injury_mechanism as means_of_assault,
        case
            when injury_mechanism in ('sharp_object', 'blunt_object', 'firearm', 'weapon_other') then true
            when injury_mechanism = 'body_part' then false
        end as is_weapon_involved,
        cast(null as boolean) as is_domestic_abuse,
        delivery_id,
        ingested_at
    from ed_attendances

),

unioned as (

    select * from police_people
    union all
    select * from istv
    union all
    select * from ecds

),

final as (

    select
        -- ids
        {{ dbt.concat(['unioned.violence_event_id', "'|'", "coalesce(unioned.person_record_key, '-')"]) }}
            as violence_event_person_id,
        unioned.violence_event_id,
        row_number() over (
            partition by unioned.violence_event_id order by unioned.person_record_key
        ) = 1 as is_event_row,
        unioned.source_agency,
        unioned.partner,
        unioned.source_feed,
        unioned.source_record_key,

        -- who
        unioned.person_record_key,
        unioned.person_key,
        unioned.person_key is not null as is_person_linked,
        unioned.role,
        unioned.age_at_event,
        coalesce(unioned.recorded_age_band, {{ age_band('unioned.age_at_event') }}) as age_band,
        unioned.sex,
        unioned.residence_lsoa_code,

        -- when
        unioned.event_date,
        {{ month_start('unioned.event_date') }} as event_month_start,
        {{ observation_period_start('unioned.event_date') }} as observation_period_start,
        unioned.event_time,
        {{ hour_of_clock_text('unioned.event_time') }} as event_hour,
        {{ iso_day_of_week('unioned.event_date') }} as event_iso_day_of_week,

        -- where
        unioned.lsoa_code,
        areas.lsoa_code is not null as is_area_known,
        unioned.location_type,
        unioned.ed_site_code,

        -- what
        unioned.ho_code,
        unioned.violence_category,
        unioned.means_of_assault,
        unioned.is_weapon_involved,
        unioned.is_domestic_abuse,

        -- lineage
        unioned.delivery_id,
        unioned.ingested_at
    from unioned as unioned
    left join areas as areas
        on unioned.lsoa_code = areas.lsoa_code

)

select * from final
