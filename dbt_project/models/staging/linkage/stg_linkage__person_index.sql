with

source as (

    select * from {{ source('linkage', 'person_index') }}

),

renamed as (

    select
        -- ids
        cast(source_feed as string) as source_feed,
        cast(_record_key as string) as record_key,
        cast(person_key as string) as person_key,

        -- match quality
        cast(match_probability as double) as match_probability,
        cast(cluster_size as bigint) as cluster_size,
        cast(model_version as string) as model_version

    from source

)

select * from renamed
