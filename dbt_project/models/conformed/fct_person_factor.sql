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

-- The feeds and agencies that evidence anything, numbered as bits: each (person, factor, period) then records its
-- feeds and agencies in one aggregation pass as two small bit sets (macros/cross_db/lists.sql), rather than in a
-- distinct-and-group pass per listed column, each joined back. At force scale (23M evidence rows) that was most of
-- this model's time.
feed_bits as (

    select source_feed, {{ bitset_bit('row_number() over (order by source_feed)') }} as feed_bit
    from (select distinct source_feed from evidence) as feeds

),

agency_bits as (

    select source_agency, {{ bitset_bit('row_number() over (order by source_agency)') }} as agency_bit
    from (select distinct source_agency from evidence) as agencies

),

aggregated as (

    select
        evidence.person_key,
        evidence.factor_code,
        evidence.observation_period_start,
        min(evidence.observed_date) as first_observed_date,
        max(evidence.observed_date) as last_observed_date,
        count(*) as evidence_count,
        {{ bitset_agg('feed_bits.feed_bit') }} as feed_set,
        {{ bitset_agg('agency_bits.agency_bit') }} as agency_set
    from evidence as evidence
    inner join feed_bits as feed_bits
        on evidence.source_feed = feed_bits.source_feed
    inner join agency_bits as agency_bits
        on evidence.source_agency = agency_bits.source_agency
    group by evidence.person_key, evidence.factor_code, evidence.observation_period_start

),

-- Each distinct set of feeds (a few dozen at most) as its sorted list.
feed_sets as (

    select
        sets.feed_set,
        {{ sorted_listagg('feed_bits.source_feed', "';'") }} as source_feeds
    from (select distinct feed_set from aggregated) as sets
    inner join feed_bits as feed_bits
        on {{ bitset_contains('sets.feed_set', 'feed_bits.feed_bit') }}
    group by sets.feed_set

),

agency_sets as (

    select
        sets.agency_set,
        {{ sorted_listagg('agency_bits.source_agency', "';'") }} as source_agencies,
        count(*) as agency_count
    from (select distinct agency_set from aggregated) as sets
    inner join agency_bits as agency_bits
        on {{ bitset_contains('sets.agency_set', 'agency_bits.agency_bit') }}
    group by sets.agency_set

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
        agency_sets.source_agencies,
        agency_sets.agency_count,
        feed_sets.source_feeds
    from aggregated as aggregated
    inner join factors as factors
        on aggregated.factor_code = factors.factor_code
    inner join feed_sets as feed_sets
        on aggregated.feed_set = feed_sets.feed_set
    inner join agency_sets as agency_sets
        on aggregated.agency_set = agency_sets.agency_set
    left join contradicted as contradicted
        on aggregated.person_key = contradicted.person_key
        and aggregated.factor_code = contradicted.factor_code
        and aggregated.observation_period_start = contradicted.observation_period_start
    where contradicted.person_key is null

)

select * from final
