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

{# First day of a 'YYYY-MM' period label (the lake's _period form), as a date. #}
{% macro period_start_date(period_expr) %}
    cast({{ dbt.concat([period_expr, "'-01'"]) }} as date)
{%- endmacro %}

{# Last day of a 'YYYY-MM' period label, as a date. #}
{% macro period_end_date(period_expr) %}
    {{ dbt.last_day(vrlake.period_start_date(period_expr), 'month') }}
{%- endmacro %}

{# ISO day of the week of a date: 1 = Monday ... 7 = Sunday, on every engine. #}
{% macro iso_day_of_week(date_expr) %}
    {{ return(adapter.dispatch('iso_day_of_week', 'vrlake')(date_expr)) }}
{% endmacro %}

{% macro default__iso_day_of_week(date_expr) %}
    cast(extract(isodow from {{ date_expr }}) as integer)
{%- endmacro %}

{% macro duckdb__iso_day_of_week(date_expr) %}
    cast(isodow({{ date_expr }}) as integer)
{%- endmacro %}

{# Spark's dayofweek is 1 = Sunday ... 7 = Saturday. #}
{% macro spark__iso_day_of_week(date_expr) %}
    cast(((dayofweek({{ date_expr }}) + 5) % 7) + 1 as integer)
{%- endmacro %}

{#
    Hour (0-23) of a clock text 'HH:MM' or 'HH:MM:SS' as partners record it; NULL when missing or not a clock time.
#}
{% macro hour_of_clock_text(time_expr) %}
    case
        when {{ time_expr }} is not null
            and {{ dbt.length(time_expr) }} >= 4
            and {{ dbt.safe_cast(dbt.split_part(time_expr, "':'", 1), dbt.type_int()) }}
                between 0 and 23
            then {{ dbt.safe_cast(dbt.split_part(time_expr, "':'", 1), dbt.type_int()) }}
    end
{%- endmacro %}

{#
    Observation periods: the years that person-level factors, prevalence and hotspots are counted in. They start in
    month var observation_year_start_month: 4 gives UK financial years (labelled '2025-26'), 1 gives calendar years
    (labelled '2026').
#}
{% macro observation_year_start_month() %}
    {%- set start_month = var('observation_year_start_month') | int -%}
    {%- if start_month < 1 or start_month > 12 -%}
        {{ exceptions.raise_compiler_error("var observation_year_start_month must be 1..12, got " ~ start_month) }}
    {%- endif -%}
    {{ return(start_month) }}
{% endmacro %}

{# First day of the observation period containing a date. #}
{% macro observation_period_start(date_expr) %}
    {%- set start_month = vrlake.observation_year_start_month() -%}
    {%- set months_into_period = "mod(cast(" ~ vrlake.extract_part('month', date_expr) ~ " as integer) + " ~ (12 - start_month) ~ ", 12)" -%}
    cast({{ dbt.dateadd('month', '-1 * ' ~ months_into_period, vrlake.month_start(date_expr)) }} as date)
{%- endmacro %}

{# Label of the observation period that starts on a date: '2025-26' (financial years) or '2026' (calendar years). #}
{% macro observation_period_label(period_start_expr) %}
    {%- set start_month = vrlake.observation_year_start_month() -%}
    {%- set year_text = "cast(cast(" ~ vrlake.extract_part('year', period_start_expr) ~ " as integer) as " ~ dbt.type_string() ~ ")" -%}
    {%- if start_month == 1 -%}
        {{ year_text }}
    {%- else -%}
        {%- set next_year_text = "cast(cast(" ~ vrlake.extract_part('year', period_start_expr) ~ " as integer) + 1 as " ~ dbt.type_string() ~ ")" -%}
        {{ dbt.concat([year_text, "'-'", dbt.right(next_year_text, 2)]) }}
    {%- endif -%}
{%- endmacro %}

{# Last day of the observation period that starts on a date. #}
{% macro observation_period_end(period_start_expr) %}
    cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 12, period_start_expr)) }} as date)
{%- endmacro %}

{# A numeric part ('year', 'month', 'day') of a date: SQL-standard EXTRACT, which every target engine supports. #}
{% macro extract_part(part, date_expr) %}extract({{ part }} from {{ date_expr }}){% endmacro %}
