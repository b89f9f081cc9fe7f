with

police_violence as (

    select * from {{ ref('int_police_occurrences__filtered_to_violence') }}

),

ed_assaults as (

    select * from {{ ref('int_ed_assaults__deduplicated') }}

),

police_events as (

    select
        'police' as source_agency,
        'police_occurrences' as source_feed,
        record_key as source_record_key,
        offence_date as event_date,
        offence_time as event_time,
        -- the force's own LSOA first; the LSOA derived from the offence postcode when it recorded none
        coalesce(location_lsoa, location_postcode_lsoa) as lsoa_code,
        ho_code,
        violence_category,
        cast(null as string) as means_of_assault,
        -- possession of a weapon is a weapon offence whether or not the force ticked the weapon flag
        case
            when violence_category = 'possession_of_weapons' then true
            else is_weapon_involved
        end as is_weapon_involved,
        is_domestic_abuse,
        cast(null as string) as location_type,
        cast(null as string) as ed_site_code,
        -- the people involved are in police_nominals (see fct_violence_event)
        cast(null as string) as recorded_age_band,
        cast(null as string) as recorded_sex,
        delivery_id,
        ingested_at
    from police_violence

),

ed_events as (

    select
        'ed_istv' as source_agency,
        'ed_assaults' as source_feed,
        record_key as source_record_key,
        assault_date as event_date,
        assault_time as event_time,
        location_lsoa as lsoa_code,
        cast(null as string) as ho_code,
        cast(null as string) as violence_category,
        means_of_assault,
        case
            when means_of_assault in ('sharp_object', 'blunt_object', 'firearm', 'weapon_other') then true
            when means_of_assault = 'body_part' then false
        end as is_weapon_involved,
        -- ISTV does not record domestic abuse
        cast(null as boolean) as is_domestic_abuse,
        location_type,
        site_code as ed_site_code,
        -- ISTV records the patient's age band and sex, never an identity
        age_band as recorded_age_band,
        sex as recorded_sex,
        delivery_id,
        ingested_at
    from ed_assaults

),

unioned as (

    select * from police_events
    union all
    select * from ed_events

),

identified as (

    select
        {{ dbt.concat(['source_agency', "':'", 'source_record_key']) }} as violence_event_id,
        *
    from unioned

)

select * from identified
