{#
    Every piece of factor evidence from every source: one row per linked source record per factor rule it meets,
    with the date it describes and its observation period. Feeds fct_person_factor and the pathways mart.
#}

with

unioned as (

    select * from {{ ref('int_factor_evidence__police') }}
    union all
    select * from {{ ref('int_factor_evidence__probation') }}
    union all
    select * from {{ ref('int_factor_evidence__education') }}
    union all
    select * from {{ ref('int_factor_evidence__health') }}
    union all
    select * from {{ ref('int_factor_evidence__area') }}

),

final as (

    select
        person_key,
        factor_code,
        evidence_rule,
        source_agency,
        source_feed,
        source_record_key,
        observed_date,
        {{ observation_period_start('observed_date') }} as observation_period_start
    from unioned
    where observed_date is not null

)

select * from final
