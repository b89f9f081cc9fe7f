{#
    The values of a group joined by `delimiter` in ascending order (NULLs left out; NULL when there are none): what
    dbt.listagg(measure, delimiter, 'order by ' ~ measure) returns. Ordered aggregates sort inside every group,
    which made DuckDB spend most of fct_person_factor's time on them (about 5 of 6 seconds at 200k people, for
    lists of at most a handful of agencies or feeds); collecting each group's values and sorting the short list
    gives the same string far faster. Spark/Databricks: array_sort(collect_list(...)).
#}
{% macro sorted_listagg(measure, delimiter) %}
    {{ return(adapter.dispatch('sorted_listagg', 'vrlake')(measure, delimiter)) }}
{% endmacro %}

{% macro default__sorted_listagg(measure, delimiter) %}
    {{ dbt.listagg(measure, delimiter, 'order by ' ~ measure) }}
{% endmacro %}

{% macro duckdb__sorted_listagg(measure, delimiter) %}
    case
        when count({{ measure }}) > 0
            then array_to_string(
                list_sort(list({{ measure }}) filter (where {{ measure }} is not null)), {{ delimiter }}
            )
    end
{% endmacro %}

{% macro spark__sorted_listagg(measure, delimiter) %}
    case
        when count({{ measure }}) > 0 then array_join(array_sort(collect_list({{ measure }})), {{ delimiter }})
    end
{% endmacro %}
