{# Every suspension and permanent exclusion with the linked person_key (when the linkage has placed it). #}

with

exclusions as (

    select * from {{ ref('int_education_exclusions__deduplicated') }}

),

person_index as (

    select * from {{ ref('stg_linkage__person_index') }}
    where source_feed = 'education_exclusions'

),

final as (

    select
        exclusions.*,
        person_index.person_key,
        person_index.person_key is not null as is_linked
    from exclusions as exclusions
    left join person_index as person_index
        on exclusions.record_key = person_index.record_key

)

select * from final
