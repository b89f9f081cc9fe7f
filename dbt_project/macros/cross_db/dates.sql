{# First day of the month of a date expression, as a date. #}
{% macro month_start(date_expr) %}
    {{ return(adapter.dispatch('month_start', 'vrlake')(date_expr)) }}
{% endmacro %}

{% macro default__month_start(date_expr) %}
    cast({{ dbt.date_trunc('month', date_expr) }} as date)
{% endmacro %}

{# 'YYYY-MM' label of a date: the same form as the lake's _period column. #}
{% macro format_period(date_expr) %}
    {{ return(adapter.dispatch('format_period', 'vrlake')(date_expr)) }}
{% endmacro %}

{% macro duckdb__format_period(date_expr) %}
    strftime({{ date_expr }}, '%Y-%m')
{% endmacro %}

{% macro spark__format_period(date_expr) %}
    date_format({{ date_expr }}, 'yyyy-MM')
{% endmacro %}

{#
    Select-list expression that expands one row into one row per month from start_expr to end_expr (both month
    starts, inclusive), named `alias`. DuckDB unnests a generated list; Spark (and Databricks) explode a sequence.
#}
{% macro month_series(start_expr, end_expr, alias='month_start') %}
    {{ return(adapter.dispatch('month_series', 'vrlake')(start_expr, end_expr, alias)) }}
{% endmacro %}

{% macro duckdb__month_series(start_expr, end_expr, alias) %}
    cast(
        unnest(generate_series(cast({{ start_expr }} as timestamp), cast({{ end_expr }} as timestamp), interval 1 month))
        as date
    ) as {{ alias }}
{% endmacro %}

{% macro spark__month_series(start_expr, end_expr, alias) %}
    explode(sequence(cast({{ start_expr }} as date), cast({{ end_expr }} as date), interval 1 month)) as {{ alias }}
{% endmacro %}

{#
    A UTC timestamp-with-time-zone (the lake's timestamps) as a plain timestamp in UTC. DuckDB's plain cast
    would use the *reader's* session time zone, so a view read by another process could shift by hours.
#}
{% macro utc_timestamp(timestamp_expr) %}
    {{ return(adapter.dispatch('utc_timestamp', 'vrlake')(timestamp_expr)) }}
{% endmacro %}

{% macro duckdb__utc_timestamp(timestamp_expr) %}
    timezone('UTC', {{ timestamp_expr }})
{% endmacro %}

{# Spark timestamps are instants shown in the session zone: set spark.sql.session.timeZone=UTC on the cluster. #}
{% macro spark__utc_timestamp(timestamp_expr) %}
    cast({{ timestamp_expr }} as timestamp)
{% endmacro %}
