{#
    Select-able SQL that repeats each row of `relation` once per published geography level its LSOA belongs to
    (columns geography_level and area_code added), using int_area_levels__expanded (`levels_relation`). Rows whose
    LSOA is missing or outside the reference data are kept once, at the whole-area level, when 'vru' is one of
    `levels`, so partnership totals never lose an event or a person.
#}
{% macro expand_to_area_levels(relation, lsoa_column, levels_relation, levels) %}
    select
        {{ relation }}.*,
        area_levels.geography_level,
        area_levels.area_code
    from {{ relation }}
    inner join {{ levels_relation }} as area_levels
        on {{ relation }}.{{ lsoa_column }} = area_levels.lsoa_code
    where area_levels.geography_level in (
        {%- for level in levels %}'{{ level }}'{% if not loop.last %}, {% endif %}{% endfor -%}
    )
    {%- if 'vru' in levels %}

    union all

    select
        {{ relation }}.*,
        'vru' as geography_level,
        '{{ var("vru_area_code") }}' as area_code
    from {{ relation }}
    where not exists (
        select 1 from {{ levels_relation }} as known_areas
        where known_areas.lsoa_code = {{ relation }}.{{ lsoa_column }}
    )
    {%- endif %}
{% endmacro %}
