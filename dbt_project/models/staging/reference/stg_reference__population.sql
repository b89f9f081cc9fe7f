with

source as (

    select * from {{ source('reference', 'population') }}

),

renamed as (

    select
        -- codes
        cast(lsoa_code as string) as lsoa_code,
        cast(age_band as string) as age_band,
        cast(sex as string) as sex,

        -- measures
        cast(population as bigint) as population

    from source

)

select * from renamed
