{# Resident population (ONS reference) of each LSOA by age band and sex: the denominators of published rates. #}

with

population as (

    select * from {{ ref('stg_reference__population') }}

),

areas as (

    select lsoa_code from {{ ref('dim_area') }}

),

final as (

    select
        population.lsoa_code,
        population.age_band,
        population.sex,
        population.population
    from population as population
    inner join areas as areas
        on population.lsoa_code = areas.lsoa_code

)

select * from final
