{%- set window_days = var('ed_police_match_window_days') | int -%}

with

ed_assaults as (

    select
        record_key,
        arrival_date,
        -- the injury date when the trust recorded it, else the day the patient arrived
        coalesce(injury_date, arrival_date) as injury_reference_date
    from {{ ref('int_ed_attendances__deduplicated') }}
    where injury_intent = 'assault'

),

person_index as (

    select * from {{ ref('stg_linkage__person_index') }}

),

nominals as (

    select * from {{ ref('int_police_nominals__deduplicated') }}

),

police_violence as (

    select * from {{ ref('int_police_occurrences__filtered_to_violence') }}

),

-- Linked people the police recorded as the victim of a violence occurrence, and when it happened.
police_victimisations as (

    select
        person_index.person_key,
        police_violence.offence_date
    from nominals
    inner join police_violence
        on nominals.occurrence_ref_token = police_violence.occurrence_ref_token
    inner join person_index
        on person_index.source_feed = 'police_nominals'
        and nominals.record_key = person_index.record_key
    where nominals.role = 'victim'

),

ed_linked as (

    select
        ed_assaults.record_key,
        ed_assaults.arrival_date,
        ed_assaults.injury_reference_date,
        person_index.person_key,
        person_index.model_version,
        person_index.person_key is not null as is_linked
    from ed_assaults
    left join person_index
        on person_index.source_feed = 'ed_attendances'
        and ed_assaults.record_key = person_index.record_key

),

matched as (

    select distinct ed_linked.record_key
    from ed_linked
    inner join police_victimisations
        on ed_linked.person_key = police_victimisations.person_key
        and police_victimisations.offence_date
            >= {{ dbt.dateadd('day', -window_days, 'ed_linked.injury_reference_date') }}
        and police_victimisations.offence_date
            <= {{ dbt.dateadd('day', window_days, 'ed_linked.injury_reference_date') }}

),

final as (

    select
        ed_linked.record_key,
        ed_linked.arrival_date,
        {{ month_start('ed_linked.arrival_date') }} as arrival_month_start,
        ed_linked.injury_reference_date,
        ed_linked.person_key,
        ed_linked.model_version as linkage_model_version,
        ed_linked.is_linked,
        -- unknown (NULL) until the linkage has placed the attendance in a person cluster
        case
            when not ed_linked.is_linked then cast(null as boolean)
            else matched.record_key is not null
        end as is_known_to_police
    from ed_linked
    left join matched
        on ed_linked.record_key = matched.record_key

)

select * from final
