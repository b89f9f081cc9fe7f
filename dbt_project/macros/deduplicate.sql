{#
    Keep one row per key: the first row in `order_by` order within each `partition_by` group.
    Written with row_number() rather than QUALIFY so it also runs on Spark.
#}
{% macro deduplicate(relation, partition_by, order_by) %}
    select {{ star_except('_dedupe_rank') }}
    from (
        select
            *,
            row_number() over (partition by {{ partition_by }} order by {{ order_by }}) as _dedupe_rank
        from {{ relation }}
    ) as ranked
    where _dedupe_rank = 1
{% endmacro %}

{# `*` without one helper column: DuckDB spells it EXCLUDE, Spark/Databricks EXCEPT. #}
{% macro star_except(column_name) %}
    {{ return(adapter.dispatch('star_except', 'vrlake')(column_name)) }}
{% endmacro %}

{% macro duckdb__star_except(column_name) %}* exclude ({{ column_name }}){% endmacro %}

{% macro spark__star_except(column_name) %}* except ({{ column_name }}){% endmacro %}
