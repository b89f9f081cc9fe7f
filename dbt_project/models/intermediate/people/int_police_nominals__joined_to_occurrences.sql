{#
    Each police nominal (a person in a role on an occurrence) with what happened: the occurrence's date, place,
    Home Office code and flags, whether it is violence (var violence_categories), the person's age then, and the
    linked person_key when the linkage has placed the record. The basis of police person-level facts and factors.
#}
{%- set categories = var('violence_categories') -%}

with

nominals as (

    select * from {{ ref('int_police_nominals__deduplicated') }}

),

occurrences as (

    select * from {{ ref('int_police_occurrences__deduplicated') }}

),

codes as (

    select * from {{ ref('home_office_violence_codes') }}

),

person_index as (

    select * from {{ ref('stg_linkage__person_index') }}
    where source_feed = 'police_nominals'

),

joined as (

    select
        -- ids
        nominals.record_key,
        nominals.occurrence_ref_token,
        occurrences.record_key as occurrence_record_key,
        person_index.person_key,
        person_index.person_key is not null as is_linked,

        -- the person in this occurrence
        nominals.role,
        nominals.sex,
        nominals.birth_year_month,
        nominals.residence_lsoa,
        nominals.is_no_fixed_abode,
        nominals.has_gang_marker,

        -- the occurrence (NULL when the occurrence itself has not been delivered)
        occurrences.offence_date,
        occurrences.offence_time,
        occurrences.recorded_date,
        occurrences.ho_code,
        codes.category as ho_category,
        codes.category in (
            {%- for category in categories %}'{{ category }}'{% if not loop.last %}, {% endif %}{% endfor -%}
        ) as is_violence,
        coalesce(occurrences.location_lsoa, occurrences.location_postcode_lsoa) as location_lsoa,
        case
            when codes.category = 'possession_of_weapons' then true
            else occurrences.is_weapon_involved
        end as is_weapon_involved,
        occurrences.is_domestic_abuse,
        occurrences.is_child_present,

        -- when the record describes the person: the offence, else the recording, else the delivery month's end
        coalesce(
            occurrences.offence_date,
            occurrences.recorded_date,
            {{ period_end_date('nominals.delivery_period') }}
        ) as record_date,

        -- lineage
        nominals.delivery_id,
        nominals.ingested_at
    from nominals as nominals
    left join occurrences as occurrences
        on nominals.occurrence_ref_token = occurrences.occurrence_ref_token
    left join codes as codes
        on occurrences.ho_code = codes.code
    left join person_index as person_index
        on nominals.record_key = person_index.record_key

),

final as (

    select
        *,
        {{ age_in_years('birth_year_month', 'record_date') }} as age_at_record
    from joined

)

select
    *,
    {{ age_band('age_at_record') }} as age_band
from final
