{#
    Age in completed years on a date, from the coarsened birth year-month ('YYYY-MM') that is all the lake keeps.
    The person is taken to be born on the first of the month, so in their birth month the age may be one year too
    high. NULL when the birth year-month is missing or after the date.
#}
{% macro age_in_years(birth_year_month_expr, on_date_expr) %}
    case
        when {{ birth_year_month_expr }} is not null
            and (
                cast({{ vrlake.extract_part('year', on_date_expr) }} as integer) * 12
                + cast({{ vrlake.extract_part('month', on_date_expr) }} as integer)
            ) >= (
                cast(substr({{ birth_year_month_expr }}, 1, 4) as integer) * 12
                + cast(substr({{ birth_year_month_expr }}, 6, 2) as integer)
            )
            then cast(floor((
                cast({{ vrlake.extract_part('year', on_date_expr) }} as integer) * 12
                + cast({{ vrlake.extract_part('month', on_date_expr) }} as integer)
                - cast(substr({{ birth_year_month_expr }}, 1, 4) as integer) * 12
                - cast(substr({{ birth_year_month_expr }}, 6, 2) as integer)
            ) / 12.0) as integer)
    end
{%- endmacro %}

{#
    The age band (var age_bands: the bands of the ONS population reference and of ISTV) of an age in years;
    NULL when the age is unknown.
#}
{% macro age_band(age_expr) %}
    case
        {%- for band in var('age_bands') %}
        when {{ age_expr }} >= {{ band.min_age }}{% if band.max_age is not none %} and {{ age_expr }} <= {{ band.max_age }}{% endif %}
            then '{{ band.age_band }}'
        {%- endfor %}
    end
{%- endmacro %}

{# One row per age band (age_band, age_band_order), for scaffolds and dimensions; `all` adds the total row 'all' (order 0). #}
{% macro age_band_rows(include_all=false) %}
    {%- if include_all %}
    select 'all' as age_band, 0 as age_band_order
    union all
    {%- endif %}
    {%- for band in var('age_bands') %}
    select '{{ band.age_band }}' as age_band, {{ loop.index }} as age_band_order
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{# One row per published sex category (sex, sex_order): 'all' (order 0), F, M. Unknown sex counts only in 'all'. #}
{% macro sex_rows() %}
    select 'all' as sex, 0 as sex_order
    union all
    select 'F' as sex, 1 as sex_order
    union all
    select 'M' as sex, 2 as sex_order
{%- endmacro %}
