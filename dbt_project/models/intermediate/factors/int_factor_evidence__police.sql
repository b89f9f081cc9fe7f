{#
    Risk-factor evidence from police nominals: one row per linked nominal record per factor rule it meets. Rules
    (seed risk_protective_factors states them in words):
      R01  suspect or offender in a violence occurrence (var violence_categories)
      R02  victim of a violence occurrence
      R03  suspect or offender in a possession-of-weapons occurrence, or in violence with the weapon flag
      R10  recorded as a missing person
      R12  victim or witness of domestic abuse while under var child_age_limit
      R14  gang marker on the nominal record
      R16  no fixed abode
#}

with

nominals as (

    select * from {{ ref('int_police_nominals__joined_to_occurrences') }}
    where is_linked

),

rules as (

    select 'R01' as factor_code, 'R01_police_violence_suspect_or_offender' as evidence_rule, nominals.*
    from nominals
    where role in ('suspect', 'offender') and is_violence

    union all

    select 'R02', 'R02_police_violence_victim', nominals.*
    from nominals
    where role = 'victim' and is_violence

    union all

    select 'R03', 'R03_police_weapon_suspect_or_offender', nominals.*
    from nominals
    where role in ('suspect', 'offender')
        and (ho_category = 'possession_of_weapons' or (is_violence and is_weapon_involved))

    union all

    select 'R10', 'R10_police_missing_person', nominals.*
    from nominals
    where role = 'missing'

    union all

    select 'R12', 'R12_police_child_in_domestic_abuse', nominals.*
    from nominals
    where role in ('victim', 'witness')
        and is_domestic_abuse
        and age_at_record < {{ var('child_age_limit') | int }}

    union all

    select 'R14', 'R14_police_gang_marker', nominals.*
    from nominals
    where has_gang_marker

    union all

    select 'R16', 'R16_police_no_fixed_abode', nominals.*
    from nominals
    where is_no_fixed_abode

),

final as (

    select
        person_key,
        factor_code,
        evidence_rule,
        'police' as source_agency,
        'police_nominals' as source_feed,
        record_key as source_record_key,
        record_date as observed_date
    from rules

)

select * from final
