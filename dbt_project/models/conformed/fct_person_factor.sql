{#
    The shared risk-and-protective-factors schema: one row per linked person per factor per observation period in
    which any agency's records evidence it, with which agencies and feeds, when it was first and last observed,
    and how many records evidence it.

    A protective factor is left out of a period in which the person also has one of the risk factors that
    contradict it (dim_factor.contradicted_by, e.g. P01 positive school engagement is cancelled by R08 persistent
    absence or R09 exclusion in the same period): "no exclusion in the year" cannot be seen in one record.
#}

with

evidence as (

    select * from {{ ref('int_factor_evidence__unioned') }}

),

factors as (

    select * from {{ ref('dim_factor') }}

),

agencies as (

    select
        person_key,
        factor_code,
        observation_period_start,
        {{ sorted_listagg('source_agency', "';'") }} as source_agencies,
        count(*) as agency_count
    from (
        select distinct person_key, factor_code, observation_period_start, source_agency from evidence
    ) as distinct_agencies
    group by person_key, factor_code, observation_period_start

),

feeds as (

    select
        person_key,
        factor_code,
        observation_period_start,
        {{ sorted_listagg('source_feed', "';'") }} as source_feeds
    from (
        select distinct person_key, factor_code, observation_period_start, source_feed from evidence
    ) as distinct_feeds
    group by person_key, factor_code, observation_period_start

),

aggregated as (

    select
        person_key,
        factor_code,
        observation_period_start,
        min(observed_date) as first_observed_date,
        max(observed_date) as last_observed_date,
        count(*) as evidence_count
    from evidence
    group by person_key, factor_code, observation_period_start

),

-- Protective factors cancelled by a contradicting risk factor for the same person in the same period.
contradicted as (

    select distinct
        protective.person_key,
        protective.factor_code,
        protective.observation_period_start
    from aggregated as protective
    inner join factors as protective_factor
        on protective.factor_code = protective_factor.factor_code
    inner join aggregated as risk
        on protective.person_key = risk.person_key
        and protective.observation_period_start = risk.observation_period_start
        and {{ dbt.concat(["';'", "coalesce(protective_factor.contradicted_by, '')", "';'"]) }}
            like {{ dbt.concat(["'%;'", 'risk.factor_code', "';%'"]) }}
    where protective_factor.polarity = 'protective'

),

final as (

    select
        -- ids
        {{ dbt.hash(dbt.concat([
            'aggregated.person_key', "'|'", 'aggregated.factor_code', "'|'",
            'cast(aggregated.observation_period_start as ' ~ dbt.type_string() ~ ')'
        ])) }} as person_factor_period_id,
        aggregated.person_key,
        aggregated.factor_code,
        factors.polarity,

        -- observation period
        aggregated.observation_period_start,
        {{ observation_period_label('aggregated.observation_period_start') }} as observation_period,
        {{ observation_period_end('aggregated.observation_period_start') }} as observation_period_end,

        -- evidence
        aggregated.first_observed_date,
        aggregated.last_observed_date,
        aggregated.evidence_count,
        agencies.source_agencies,
        agencies.agency_count,
        feeds.source_feeds
    from aggregated as aggregated
    inner join factors as factors
        on aggregated.factor_code = factors.factor_code
    inner join agencies as agencies
        on aggregated.person_key = agencies.person_key
        and aggregated.factor_code = agencies.factor_code
        and aggregated.observation_period_start = agencies.observation_period_start
    inner join feeds as feeds
        on aggregated.person_key = feeds.person_key
        and aggregated.factor_code = feeds.factor_code
        and aggregated.observation_period_start = feeds.observation_period_start
    left join contradicted as contradicted
        on aggregated.person_key = contradicted.person_key
        and aggregated.factor_code = contradicted.factor_code
        and aggregated.observation_period_start = contradicted.observation_period_start
    where contradicted.person_key is null

)

select * from final
