{#
    Statistical disclosure control for published counts: the NHS HES/ECDS rule, which needs no secondary
    suppression across geography levels.

      raw count 0                          -> 0            (zero stays zero)
      raw count 1 .. disclosure_suppress_max (default 7)   -> NULL, shown as disclosure_marker ('*')
      any other count                      -> rounded to the nearest disclosure_rounding_base (default 5)

    Representation (chosen to survive CSV and XLSX export): every published count is two columns,
      <name>          bigint   the safe number, NULL if and only if suppressed (for sums, charts, joins)
      <name>_display  string   what a reader sees: the same number as text, or the marker '*' when suppressed
    An empty cell in an export is therefore never a suppressed value; the *_display column says '*'.

    Totals are computed from raw counts and then rounded (never summed from rounded cells). Rates and
    percentages are computed from the *published* (rounded) counts and withheld (NULL) when the numerator is
    suppressed, so a published rate can never be used to recover the exact count behind a rounded one.
#}

{% macro disclosure_settings() %}
    {%- set suppress_max = var('disclosure_suppress_max') | int -%}
    {%- set rounding_base = var('disclosure_rounding_base') | int -%}
    {%- set marker = var('disclosure_marker') | string -%}
    {%- if suppress_max < 1 or rounding_base < 1 -%}
        {{ exceptions.raise_compiler_error(
            "disclosure_suppress_max and disclosure_rounding_base must be at least 1, got "
            ~ suppress_max ~ " and " ~ rounding_base) }}
    {%- endif -%}
    {#- The smallest non-zero number the rule can publish: suppress_max + 1 rounded to the base. -#}
    {%- set min_publishable = (((suppress_max + 1) / rounding_base + 0.5) | int) * rounding_base -%}
    {%- if min_publishable < 1 -%}
        {{ exceptions.raise_compiler_error(
            "disclosure_rounding_base " ~ rounding_base ~ " would round unsuppressed counts above "
            ~ suppress_max ~ " down to zero; use a smaller base or a higher disclosure_suppress_max") }}
    {%- endif -%}
    {{ return({
        'suppress_max': suppress_max,
        'rounding_base': rounding_base,
        'marker': marker,
        'min_publishable': min_publishable,
    }) }}
{% endmacro %}


{# The publishable value of a raw count: 0, NULL (suppressed) or the count rounded to the base. #}
{% macro disclosure_control(count_expr) %}
    {{ return(adapter.dispatch('disclosure_control', 'vrlake')(count_expr)) }}
{% endmacro %}

{% macro default__disclosure_control(count_expr) %}
    {%- set s = vrlake.disclosure_settings() -%}
    case
        when ({{ count_expr }}) = 0 then cast(0 as bigint)
        when ({{ count_expr }}) between 1 and {{ s.suppress_max }} then cast(null as bigint)
        else cast(
            floor((({{ count_expr }}) + {{ s.rounding_base }} / 2.0) / {{ s.rounding_base }}) * {{ s.rounding_base }}
            as bigint
        )
    end
{%- endmacro %}


{#
    A published count as the pair every mart and the disclosure scan rely on: `<name>`, the disclosure-controlled
    number, and `<name>_display`, the text a reader sees (the number, or the marker when suppressed).
#}
{% macro disclosed_count(count_expr, name) %}
    {{- vrlake.disclosure_control(count_expr) }} as {{ name }},
        {{ vrlake.disclosure_display(count_expr) }} as {{ name }}_display
{%- endmacro %}


{# The text a reader sees for a raw count: the published number, or the marker when suppressed. #}
{% macro disclosure_display(count_expr) %}
    {{ return(adapter.dispatch('disclosure_display', 'vrlake')(count_expr)) }}
{% endmacro %}

{% macro default__disclosure_display(count_expr) %}
    {%- set s = vrlake.disclosure_settings() -%}
    coalesce(
        cast({{ vrlake.disclosure_control(count_expr) }} as {{ dbt.type_string() }}),
        '{{ s.marker | replace("'", "''") }}'
    )
{%- endmacro %}


{#
    A rate per `per` people (default per 1,000) from a raw count: computed from the published count, and
    NULL when that count is suppressed or the denominator is missing or zero.
#}
{% macro disclosure_rate(count_expr, denominator_expr, per=1000, precision=1) %}
    {{ return(adapter.dispatch('disclosure_rate', 'vrlake')(count_expr, denominator_expr, per, precision)) }}
{% endmacro %}

{% macro default__disclosure_rate(count_expr, denominator_expr, per, precision) %}
    case
        when {{ vrlake.disclosure_control(count_expr) }} is null then cast(null as double)
        when ({{ denominator_expr }}) is null or ({{ denominator_expr }}) <= 0 then cast(null as double)
        else round(
            cast({{ vrlake.disclosure_control(count_expr) }} as double) * {{ per }} / ({{ denominator_expr }}),
            {{ precision }}
        )
    end
{%- endmacro %}


{#
    A percentage of two raw counts, computed from their published values: NULL when the numerator is
    suppressed or the published denominator is NULL or zero.
#}
{% macro disclosure_percentage(numerator_expr, denominator_expr, precision=1) %}
    {{ return(adapter.dispatch('disclosure_percentage', 'vrlake')(numerator_expr, denominator_expr, precision)) }}
{% endmacro %}

{% macro default__disclosure_percentage(numerator_expr, denominator_expr, precision) %}
    case
        when {{ vrlake.disclosure_control(numerator_expr) }} is null then cast(null as double)
        when coalesce({{ vrlake.disclosure_control(denominator_expr) }}, 0) = 0 then cast(null as double)
        else round(
            100.0 * {{ vrlake.disclosure_control(numerator_expr) }}
                / {{ vrlake.disclosure_control(denominator_expr) }},
            {{ precision }}
        )
    end
{%- endmacro %}
