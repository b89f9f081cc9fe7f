{# Every school census row (all terms) with the linked person_key; a census row describes the pupil in its month. #}

with

census as (

    -- loaded_at is the warehouse's bookkeeping (when the row was copied), not part of the record
    select {{ star_except('loaded_at') }} from {{ ref('stg_education__census') }}

),

person_index as (

    select * from {{ ref('stg_linkage__person_index') }}
    where source_feed = 'education_census'

),

final as (

    select
        census.*,
        {{ period_end_date('census.census_period') }} as census_date,
        case
            when census.possible_sessions > 0
                then cast(census.sessions_missed as double) / census.possible_sessions
        end as absence_rate,
        person_index.person_key,
        person_index.person_key is not null as is_linked
    from census as census
    left join person_index as person_index
        on census.record_key = person_index.record_key

)

select * from final
