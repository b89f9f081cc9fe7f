{#
    Incremental copies of the bronze feeds (the staging models of partner feeds).

    Ingestion writes bronze as delivery-scoped replaces: a delivery's rows are added, replaced as a whole when the
    same delivery is ingested again (new _ingested_at), and removed when a snapshot feed's later file for the same
    period replaces it. A staging model therefore mirrors bronze one delivery at a time:

    - new_deliveries_only() keeps the bronze rows of deliveries the model does not hold yet, or holds from an
      earlier ingestion of the same delivery (deliveries_to_load); the delete+insert strategy (unique_key
      delivery_id) then replaces such a delivery's rows as a whole. Deliveries are compared by id and ingestion
      time for equality, never ordered by time, so clock skew between ingestion hosts cannot hide a delivery.
    - remove_withdrawn_deliveries() (a post-hook) deletes the rows of deliveries no longer in bronze.

    After every run the model holds exactly bronze's rows, as a full refresh would, while reading only the delivery
    id and ingestion time of the history.
#}
{% macro new_deliveries_only(bronze_relation, bronze_alias='bronze') %}
    {%- if is_incremental() %}
    {%- set delivery_ids = vrlake.deliveries_to_load(bronze_relation) %}
    {%- if delivery_ids %}
    where cast({{ bronze_alias }}._delivery_id as {{ dbt.type_string() }}) in (
        {%- for delivery_id in delivery_ids %}
        '{{ delivery_id | replace("'", "''") }}'{{ ',' if not loop.last }}
        {%- endfor %}
    )
    {%- else %}
    where 1 = 0
    {%- endif %}
    {%- endif %}
{%- endmacro %}

{#
    The ids of the bronze deliveries the model does not hold, or holds from an earlier ingestion: found from the two
    lineage columns alone, then written into the model's query as literals. A filter on the delivery id reaches the
    Delta scan (each delivery's rows sit in their own files), so the run reads the new deliveries' rows and nothing
    else. Joining the whole source to the model instead made the scan decode every column of every bronze row
    before the join could drop them: 8 of the 9 seconds a delivery spent on the school census at force scale, with
    no new census at all.
#}
{% macro deliveries_to_load(bronze_relation) %}
    {%- if not execute %}
        {{ return([]) }}
    {%- endif %}
    {%- set found = run_query(
        "select distinct cast(bronze._delivery_id as " ~ dbt.type_string() ~ ") as delivery_id"
        ~ " from " ~ bronze_relation ~ " as bronze"
        ~ " where not exists ("
        ~ " select 1 from (select distinct delivery_id, ingested_at from " ~ this ~ ") as loaded"
        ~ " where loaded.delivery_id = cast(bronze._delivery_id as " ~ dbt.type_string() ~ ")"
        ~ " and loaded.ingested_at = " ~ utc_timestamp("bronze._ingested_at") ~ ")"
        ~ " order by 1"
    ) %}
    {{ return(found.columns[0].values() | list) }}
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
