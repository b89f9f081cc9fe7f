{%- set window_days = var('ed_police_match_window_days') | int -%}
{%- set roles = var('ed_police_match_roles') -%}
{%- if roles | length == 0 -%}
    {{ exceptions.raise_compiler_error("var ed_police_match_roles must name at least one police nominal role") }}
{%- endif -%}

with

ed_assaults as (

    select
        record_key,
        arrival_date,
        -- the injury date when the trust recorded it, else the day the patient arrived
        coalesce(injury_date, arrival_date) as injury_reference_date,
        {{ age_band(age_in_years('birth_year_month', 'arrival_date')) }} as age_band,
        case when sex in ('F', 'M') then sex end as sex
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

-- Linked people the police recorded in one of var ed_police_match_roles on a violence occurrence, and when.
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
    where nominals.role in (
        {%- for role in roles %}'{{ role }}'{% if not loop.last %}, {% endif %}{% endfor -%}
    )

),

ed_linked as (

    select
        ed_assaults.record_key,
        ed_assaults.arrival_date,
        ed_assaults.injury_reference_date,
        ed_assaults.age_band,
        ed_assaults.sex,
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
        ed_linked.age_band,
        ed_linked.sex,
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
