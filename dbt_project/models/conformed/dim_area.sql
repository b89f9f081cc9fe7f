with

areas as (

    select * from {{ ref('stg_reference__areas') }}

),

population as (

    select
        lsoa_code,
        cast(sum(population) as bigint) as resident_population
    from {{ ref('stg_reference__population') }}
    group by lsoa_code

),

final as (

    select
        areas.lsoa_code,
        areas.lsoa_name,
        areas.ward_code,
        areas.ward_name,
        areas.la_code,
        areas.la_name,
        areas.csp_name,
        areas.deprivation_decile,
        population.resident_population
    from areas
    left join population
        on areas.lsoa_code = population.lsoa_code

)

select * from final
