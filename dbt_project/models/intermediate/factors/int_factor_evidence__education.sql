{#
    Risk- and protective-factor evidence from the school census (one row per linked pupil per census term per rule
    met) and from suspensions and exclusions (one row per linked exclusion per rule met). Rules:
      R03  excluded for use or threat of an offensive weapon (reason OW)
      R07  SEN support (K) or EHC plan (E)
      R08  missed at least var persistent_absence_threshold of possible sessions in the term
      R09  any suspension or permanent exclusion
      R11  child in need, child protection plan or looked after
      R15  eligible for free school meals
      P01  attended more than var persistent_absence_threshold short of every session (attendance >= 90% by
           default); cancelled in fct_person_factor by R08 or R09 in the same period
      P03  no child-in-need, child-protection or looked-after flag; cancelled by R11 in the same period
#}
{%- set absence = var('persistent_absence_threshold') | float -%}

with

census as (

    select * from {{ ref('int_education_census__linked') }}
    where is_linked

),

exclusions as (

    select * from {{ ref('int_education_exclusions__linked') }}
    where is_linked

),

census_rules as (

    select 'R07' as factor_code, 'R07_census_sen' as evidence_rule, census.*
    from census
    where sen_provision in ('K', 'E')

    union all

    select 'R08', 'R08_census_persistent_absence', census.*
    from census
    where absence_rate >= {{ absence }}

    union all

    select 'R11', 'R11_census_children_social_care', census.*
    from census
    where is_child_in_need or is_on_child_protection_plan or is_looked_after

    union all

    select 'R15', 'R15_census_free_school_meals', census.*
    from census
    where is_fsm_eligible

    union all

    select 'P01', 'P01_census_good_attendance', census.*
    from census
    where absence_rate < {{ absence }}

    union all

    select 'P03', 'P03_census_no_social_care_flag', census.*
    from census
    where not coalesce(is_child_in_need, false)
        and not coalesce(is_on_child_protection_plan, false)
        and not coalesce(is_looked_after, false)

),

exclusion_rules as (

    select 'R09' as factor_code, 'R09_exclusion' as evidence_rule, exclusions.*
    from exclusions

    union all

    select 'R03', 'R03_exclusion_offensive_weapon', exclusions.*
    from exclusions
    where reason_code = 'OW'

),

final as (

    select
        person_key,
        factor_code,
        evidence_rule,
        'education' as source_agency,
        'education_census' as source_feed,
        record_key as source_record_key,
        census_date as observed_date
    from census_rules

    union all

    select
        person_key,
        factor_code,
        evidence_rule,
        'education' as source_agency,
        'education_exclusions' as source_feed,
        record_key as source_record_key,
        start_date as observed_date
    from exclusion_rules

)

select * from final
