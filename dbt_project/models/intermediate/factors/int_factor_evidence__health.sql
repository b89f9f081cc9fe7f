{#
    Risk-factor evidence from emergency department attendances (ECDS): one row per linked attendance per rule met.
      R02  attended for an assault
      R03  assault with a sharp-object injury (knife involvement as a victim)
      R04  alcohol or drug involvement recorded (alcohol, drugs or both)
      R05  self-harm
#}

with

attendances as (

    select * from {{ ref('int_ed_attendances__linked') }}
    where is_linked

),

rules as (

    select 'R02' as factor_code, 'R02_ed_assault_attendance' as evidence_rule, attendances.*
    from attendances
    where injury_intent = 'assault'

    union all

    select 'R03', 'R03_ed_assault_sharp_object', attendances.*
    from attendances
    where injury_intent = 'assault' and injury_mechanism = 'sharp_object'

    union all

    select 'R04', 'R04_ed_alcohol_or_drugs', attendances.*
    from attendances
    where alcohol_drug_involvement in ('alcohol', 'drugs', 'both')

    union all

    select 'R05', 'R05_ed_self_harm', attendances.*
    from attendances
    where injury_intent = 'self_harm'

),

final as (

    select
        person_key,
        factor_code,
        evidence_rule,
        'health' as source_agency,
        'ed_attendances' as source_feed,
        record_key as source_record_key,
        -- when the ED saw it (the date every other ED record is placed by), not the reported injury date
        arrival_date as observed_date
    from rules

)

select * from final
