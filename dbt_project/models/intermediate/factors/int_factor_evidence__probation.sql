{#
    Risk- and protective-factor evidence from probation caseload snapshots: one row per linked person per snapshot
    month per factor rule met (a need assessed in several monthly snapshots is evidenced once per month). OASys
    needs count from var oasys_need_threshold. Rules:
      R01  index offence with a Home Office code in var violence_categories
      R04  drug or alcohol misuse need
      R05  mental-health register (RMDO) or emotional well-being need
      R06  thinking and behaviour or attitudes need
      R14  street-gang register (STRG)
      R16  no fixed abode, or accommodation need
      R18  education, training and employability need
      P02  accommodation and ETE needs both 0, and not of no fixed abode
#}
{%- set threshold = var('oasys_need_threshold') | int -%}
{%- set categories = var('violence_categories') -%}

with

caseload as (

    select
        *,
        -- ';STRG;RCHD;' so that a register code matches whole, never as part of another code
        {{ dbt.concat(["';'", "coalesce(registers, '')", "';'"]) }} as register_list
    from {{ ref('int_probation_caseload__linked') }}
    where is_linked

),

violence_codes as (

    select code
    from {{ ref('home_office_violence_codes') }}
    where category in (
        {%- for category in categories %}'{{ category }}'{% if not loop.last %}, {% endif %}{% endfor -%}
    )

),

rules as (

    select 'R01' as factor_code, 'R01_probation_violent_index_offence' as evidence_rule, caseload.*
    from caseload as caseload
    inner join violence_codes as violence_codes
        on caseload.index_offence_code = violence_codes.code

    union all

    select 'R04', 'R04_probation_substance_need', caseload.*
    from caseload
    where need_drugs >= {{ threshold }} or need_alcohol >= {{ threshold }}

    union all

    select 'R05', 'R05_probation_mental_health', caseload.*
    from caseload
    where register_list like '%;RMDO;%' or need_emotional >= {{ threshold }}

    union all

    select 'R06', 'R06_probation_thinking_or_attitudes_need', caseload.*
    from caseload
    where need_thinking_behaviour >= {{ threshold }} or need_attitudes >= {{ threshold }}

    union all

    select 'R14', 'R14_probation_gang_register', caseload.*
    from caseload
    where register_list like '%;STRG;%'

    union all

    select 'R16', 'R16_probation_accommodation', caseload.*
    from caseload
    where is_no_fixed_abode or need_accommodation >= {{ threshold }}

    union all

    select 'R18', 'R18_probation_ete_need', caseload.*
    from caseload
    where need_ete >= {{ threshold }}

    union all

    select 'P02', 'P02_probation_stable_accommodation_and_ete', caseload.*
    from caseload
    where need_accommodation = 0 and need_ete = 0 and not coalesce(is_no_fixed_abode, false)

),

final as (

    select
        person_key,
        factor_code,
        evidence_rule,
        'probation' as source_agency,
        'probation_caseload' as source_feed,
        record_key as source_record_key,
        snapshot_date as observed_date
    from rules

)

select * from final
