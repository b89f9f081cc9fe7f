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


{#
    Small sets as bits of an integer, so "which of a handful of values does this group hold" is one cheap aggregate
    (bit_or) instead of a `select distinct` pass and a join back per listed column. A set is turned back into
    values by joining its distinct set values (a few dozen) to the numbered values with bitset_contains.
    DuckDB, Spark/Databricks and Postgres all spell these bit_or(...) and `&`; dispatch where an engine differs
    (Snowflake: bitor_agg and bitand).
#}
{% macro bitset_agg(bit) %}
    {{ return(adapter.dispatch('bitset_agg', 'vrlake')(bit)) }}
{% endmacro %}

{% macro default__bitset_agg(bit) %}bit_or({{ bit }}){% endmacro %}

{% macro bitset_contains(bitset, bit) %}
    {{ return(adapter.dispatch('bitset_contains', 'vrlake')(bitset, bit)) }}
{% endmacro %}

{% macro default__bitset_contains(bitset, bit) %}(({{ bitset }}) & ({{ bit }})) <> 0{% endmacro %}

{# The bit of the n-th value (n from 1) of a set: 2^(n-1) as a bigint, at most 63 values. #}
{% macro bitset_bit(ordinal) %}cast(power(2, ({{ ordinal }}) - 1) as {{ dbt.type_bigint() }}){% endmacro %}
