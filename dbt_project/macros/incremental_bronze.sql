{#
    Incremental copies of the bronze feeds (the staging models of partner feeds).

    Ingestion writes bronze as delivery-scoped replaces: a delivery's rows are added, replaced as a whole when the
    same delivery is ingested again (new _ingested_at), and removed when a snapshot feed's later file for the same
    period replaces it. A staging model therefore mirrors bronze one delivery at a time:

    - new_deliveries_only() keeps the bronze rows of deliveries the model does not hold yet, or holds from an
      earlier ingestion of the same delivery; the delete+insert strategy (unique_key delivery_id) then replaces
      such a delivery's rows as a whole. Deliveries are compared by id and ingestion time for equality, never
      ordered by time, so clock skew between ingestion hosts cannot hide a delivery.
    - remove_withdrawn_deliveries() (a post-hook) deletes the rows of deliveries no longer in bronze.

    After every run the model holds exactly bronze's rows, as a full refresh would, while reading only the delivery
    id and ingestion time of the history.
#}
{% macro new_deliveries_only(bronze_alias) %}
    {%- if is_incremental() %}
    where not exists (
        select 1
        from {{ this }} as loaded
        where loaded.delivery_id = cast({{ bronze_alias }}._delivery_id as string)
            and loaded.ingested_at = {{ utc_timestamp(bronze_alias ~ "._ingested_at") }}
    )
    {%- endif %}
{%- endmacro %}

{% macro remove_withdrawn_deliveries(source_name, table_name) %}
    delete from {{ this }}
    where not exists (
        select 1
        from {{ source(source_name, table_name) }} as bronze
        where cast(bronze._delivery_id as string) = {{ this }}.delivery_id
    )
{%- endmacro %}

{#
    The bronze sources are read in place (dbt-duckdb registers the Delta table's Arrow dataset and a view over it,
    meta.materialization: view), so a run reads only what it selects. Those views point at an object that lives in
    the dbt process alone, so they are dropped when the run ends (any other reader of the warehouse would fail on
    them), and earlier versions' full copies of bronze (tables of the same names) are dropped when a run starts,
    because a view cannot replace a table. Both act only on the schema of the bronze sources.
#}
{% macro drop_bronze_relations(relation_type, schema='bronze') %}
    {%- if execute %}
        {%- set found = run_query(
            "select table_name from information_schema.tables where table_schema = '" ~ schema
            ~ "' and table_type = '" ~ ('VIEW' if relation_type == 'view' else 'BASE TABLE') ~ "'"
        ) %}
        {%- for row in found.rows %}
            {%- do run_query('drop ' ~ relation_type ~ ' if exists ' ~ adapter.quote(schema) ~ '.' ~ adapter.quote(row[0])) %}
        {%- endfor %}
    {%- endif %}
{%- endmacro %}

{#
    When this run wrote a row: the run's start time (the same value for every model and test of one dbt
    invocation), as a plain timestamp literal, which DuckDB and Spark read alike. Stored as `loaded_at` by the
    incremental staging models so their data tests can check only the rows this run loaded (macros/test_scope.sql).
#}
{% macro run_loaded_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}
