{#
    Every LSOA with the area it belongs to at each published geography level. Marts join records to this on their
    LSOA to count at every level at once; records whose LSOA is missing or outside the reference data count only in
    the whole partnership area (see macro expand_to_area_levels).
#}

with

areas as (

    select * from {{ ref('dim_area') }}

),

levels as (

    select lsoa_code, 'lsoa' as geography_level, 1 as geography_level_order,
        lsoa_code as area_code, lsoa_name as area_name, la_code, la_name
    from areas

    union all

    select lsoa_code, 'ward' as geography_level, 2 as geography_level_order,
        ward_code as area_code, ward_name as area_name, la_code, la_name
    from areas

    union all

    select lsoa_code, 'local_authority' as geography_level, 3 as geography_level_order,
        la_code as area_code, la_name as area_name, la_code, la_name
    from areas

    union all

    select lsoa_code, 'vru' as geography_level, 4 as geography_level_order,
        '{{ var("vru_area_code") }}' as area_code, '{{ var("vru_area_name") }}' as area_name,
        cast(null as {{ dbt.type_string() }}) as la_code, cast(null as {{ dbt.type_string() }}) as la_name
    from areas

)

select * from levels
