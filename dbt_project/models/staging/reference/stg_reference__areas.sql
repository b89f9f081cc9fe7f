with

source as (

    select * from {{ source('reference', 'areas') }}

),

renamed as (

    select
        -- codes
        cast(lsoa_code as string) as lsoa_code,
        cast(ward_code as string) as ward_code,
        cast(la_code as string) as la_code,

        -- names
        cast(lsoa_name as string) as lsoa_name,
        cast(ward_name as string) as ward_name,
        cast(la_name as string) as la_name,
        cast(csp_name as string) as csp_name,

        -- measures
        cast(deprivation_decile as integer) as deprivation_decile

    from source

)

select * from renamed
