{#
    Where each linked person lived, how old they were and their sex, as at the end of every observation period in
    which any agency recorded them or they were affected by violence (an ED attendance early in a period can be
    for an injury late in the previous one): the home LSOA of their latest record with an address on or before the
    period's end (an earlier period's address when none was recorded in this one). The people dimension of every
    person-level mart by area, age band and sex.
#}

with

records as (

    select * from {{ ref('int_person_records__unioned') }}

),

demographics as (

    select * from {{ ref('int_person_demographics__resolved') }}

),

person_periods as (

    select
        person_key,
        observation_period_start,
        {{ observation_period_end('observation_period_start') }} as observation_period_end
    from (
        select person_key, observation_period_start from records
        union
        select person_key, observation_period_start
        from {{ ref('fct_violence_event') }}
        where person_key is not null
    ) as periods

),

-- The latest address recorded in each period: the candidates for that period and every later one.
latest_address_in_period as (

    select person_key, observation_period_start, residence_lsoa
    from (
        select
            person_key,
            observation_period_start,
            residence_lsoa,
            row_number() over (
                partition by person_key, observation_period_start
                order by record_date desc, source_feed, record_key
            ) as recency
        from records
        where residence_lsoa is not null
    ) as ranked
    where recency = 1

),

-- A record dated on or before a period's end belongs to that period or an earlier one, so the latest address on or
-- before the end is the latest address of the most recent period, up to this one, that recorded any. Found with a
-- running max rather than by joining every period to every earlier record (that join grows with the square of a
-- person's records: a monthly probation snapshot over five years is 60 records in each of five periods).
address_periods as (

    select
        person_periods.person_key,
        person_periods.observation_period_start,
        max(latest_address_in_period.observation_period_start) over (
            partition by person_periods.person_key
            order by person_periods.observation_period_start
            rows between unbounded preceding and current row
        ) as address_period_start
    from person_periods as person_periods
    left join latest_address_in_period as latest_address_in_period
        on person_periods.person_key = latest_address_in_period.person_key
        and person_periods.observation_period_start = latest_address_in_period.observation_period_start

),

addresses as (

    select
        address_periods.person_key,
        address_periods.observation_period_start,
        latest_address_in_period.residence_lsoa
    from address_periods as address_periods
    inner join latest_address_in_period as latest_address_in_period
        on address_periods.person_key = latest_address_in_period.person_key
        and address_periods.address_period_start = latest_address_in_period.observation_period_start

),

final as (

    select
        person_periods.person_key,
        person_periods.observation_period_start,
        {{ observation_period_label('person_periods.observation_period_start') }} as observation_period,
        person_periods.observation_period_end,
        addresses.residence_lsoa as home_lsoa_code,
        {{ age_in_years('demographics.birth_year_month', 'person_periods.observation_period_end') }}
            as age_at_period_end,
        demographics.sex
    from person_periods as person_periods
    inner join demographics as demographics
        on person_periods.person_key = demographics.person_key
    left join addresses as addresses
        on person_periods.person_key = addresses.person_key
        and person_periods.observation_period_start = addresses.observation_period_start

)

select
    *,
    {{ age_band('age_at_period_end') }} as age_band
from final
