{#
    Fails on every unsafe published cell of a count column (see macros/disclosure/disclosure_control.sql):
      - a number that is negative, not a multiple of disclosure_rounding_base, or non-zero but below the
        smallest publishable number (e.g. 1-9 under the default rule: 1-7 are suppressed and 8, 9 round to 10);
      - with display_column: a suppressed (NULL) count not shown as the marker, or a display text that differs
        from the published number (a raw count leaking through the display column).
#}
{% test safe_published_count(model, column_name, display_column=none) %}
    {%- set s = vrlake.disclosure_settings() -%}
    select *
    from {{ model }}
    where
        (
            {{ column_name }} is not null
            and (
                {{ column_name }} < 0
                or mod({{ column_name }}, {{ s.rounding_base }}) <> 0
                or ({{ column_name }} > 0 and {{ column_name }} < {{ s.min_publishable }})
            )
        )
    {%- if display_column %}
        or (
            {{ column_name }} is null
            and coalesce({{ display_column }}, '') <> '{{ s.marker | replace("'", "''") }}'
        )
        or (
            {{ column_name }} is not null
            and coalesce({{ display_column }}, '') <> cast({{ column_name }} as {{ dbt.type_string() }})
        )
    {%- endif %}
{% endtest %}
