{#
    Raw (unrounded) pathways into violence: for each linked person's first violence event in the data (any role),
    which factors any agency observed in the var pathway_lookback_days before it (not on the day itself). A
    protective factor does not count when a risk factor that contradicts it (dim_factor.contradicted_by) was also
    observed in the look-back. People whose look-back starts before the earliest linked record in the lake are
    counted separately as without a complete look-back. Cohorts: all, first event as victim (police victim or ED
    assault attendee), first event as suspect or offender. Internal only.
#}
{%- set lookback = var('pathway_lookback_days') | int -%}

with

events as (

    select person_key, event_date, role, age_at_event
    from {{ ref('fct_violence_event') }}
    where person_key is not null

),

first_dates as (

    select person_key, min(event_date) as first_event_date
    from events
    group by person_key

),

first_events as (

    select
        first_dates.person_key,
        first_dates.first_event_date,
        max(case when events.role in ('victim', 'ed_assault_attendee') then 1 else 0 end) = 1 as is_first_as_victim,
        max(case when events.role in ('suspect', 'offender') then 1 else 0 end) = 1 as is_first_as_suspect_or_offender,
        min(events.age_at_event) as age_at_first_event
    from first_dates as first_dates
    inner join events as events
        on first_dates.person_key = events.person_key
        and first_dates.first_event_date = events.event_date
    group by first_dates.person_key, first_dates.first_event_date

),

data_start as (

    select min(record_date) as data_start_date from {{ ref('int_person_records__unioned') }}

),

people as (

    select
        first_events.*,
        {{ age_band('first_events.age_at_first_event') }} as age_band,
        {{ dbt.dateadd('day', -lookback, 'first_events.first_event_date') }} >= data_start.data_start_date
            as has_complete_lookback
    from first_events as first_events
    cross join data_start as data_start

),

cohort_people as (

    select people.*, 'all' as cohort from people
    union all
    select people.*, 'first_as_victim' as cohort from people where is_first_as_victim
    union all
    select people.*, 'first_as_suspect_or_offender' as cohort from people where is_first_as_suspect_or_offender

),

factors as (

    select * from {{ ref('dim_factor') }}

),

observed as (

    select distinct
        people.person_key,
        evidence.factor_code
    from people as people
    inner join {{ ref('int_factor_evidence__unioned') }} as evidence
        on people.person_key = evidence.person_key
        and evidence.observed_date < people.first_event_date
        and evidence.observed_date >= {{ dbt.dateadd('day', -lookback, 'people.first_event_date') }}

),

contradicted as (

    select distinct
        protective.person_key,
        protective.factor_code
    from observed as protective
    inner join factors as protective_factor
        on protective.factor_code = protective_factor.factor_code
    inner join observed as risk
        on protective.person_key = risk.person_key
        and {{ dbt.concat(["';'", "coalesce(protective_factor.contradicted_by, '')", "';'"]) }}
            like {{ dbt.concat(["'%;'", 'risk.factor_code', "';%'"]) }}
    where protective_factor.polarity = 'protective'

),

prior_factors as (

    select observed.person_key, observed.factor_code
    from observed as observed
    left join contradicted as contradicted
        on observed.person_key = contradicted.person_key
        and observed.factor_code = contradicted.factor_code
    where contradicted.person_key is null

),

cohort_totals as (

    select
        cohort,
        case when grouping(age_band) = 1 then 'all' else age_band end as age_band,
        count(*) as people_with_first_event,
        sum(case when has_complete_lookback then 1 else 0 end) as people_with_complete_lookback,
        min(first_event_date) as first_event_from,
        max(first_event_date) as first_event_to
    from cohort_people
    group by grouping sets ((cohort, age_band), (cohort))

),

factor_totals as (

    select
        cohort_people.cohort,
        prior_factors.factor_code,
        case when grouping(cohort_people.age_band) = 1 then 'all' else cohort_people.age_band end as age_band,
        count(*) as people_with_factor_before,
        sum(case when cohort_people.has_complete_lookback then 1 else 0 end) as complete_lookback_with_factor
    from cohort_people as cohort_people
    inner join prior_factors as prior_factors
        on cohort_people.person_key = prior_factors.person_key
    group by grouping sets (
        (cohort_people.cohort, prior_factors.factor_code, cohort_people.age_band),
        (cohort_people.cohort, prior_factors.factor_code)
    )

),

cohort_names as (

    select 'all' as cohort, 0 as cohort_order
    union all
    select 'first_as_victim' as cohort, 1 as cohort_order
    union all
    select 'first_as_suspect_or_offender' as cohort, 2 as cohort_order

),

age_bands as (

    {{ age_band_rows(include_all=true) }}

),

final as (

    select
        cohort_names.cohort,
        cohort_names.cohort_order,
        age_bands.age_band,
        age_bands.age_band_order,
        factors.factor_code,
        factors.factor_name,
        factors.polarity,
        factors.factor_order,
        coalesce(cohort_totals.people_with_first_event, 0) as people_with_first_event,
        coalesce(factor_totals.people_with_factor_before, 0) as people_with_factor_before,
        coalesce(cohort_totals.people_with_complete_lookback, 0) as people_with_complete_lookback,
        coalesce(factor_totals.complete_lookback_with_factor, 0) as complete_lookback_with_factor,
        data_start.data_start_date,
        cohort_totals.first_event_from,
        cohort_totals.first_event_to
    from cohort_names as cohort_names
    cross join age_bands as age_bands
    cross join factors as factors
    cross join data_start as data_start
    left join cohort_totals as cohort_totals
        on cohort_names.cohort = cohort_totals.cohort
        and age_bands.age_band = cohort_totals.age_band
    left join factor_totals as factor_totals
        on cohort_names.cohort = factor_totals.cohort
        and age_bands.age_band = factor_totals.age_band
        and factors.factor_code = factor_totals.factor_code
    where factors.is_evidenced
        and data_start.data_start_date is not null

)

select * from final
