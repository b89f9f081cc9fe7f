{#
    Data tests of the incremental staging models check only the rows the run loaded.

    A routine refresh inserts whole deliveries (macros/incremental_bronze.sql) and never changes a row it kept, so
    a row that passed its tests when it was loaded still passes them: re-checking the whole history on every
    delivery costs time in proportion to the history for nothing. Those tests are given
    `where: __loaded_this_run__` (dbt_project.yml, data_tests), which this override of dbt's get_where_subquery
    turns into `loaded_at = <this run's start>` when the test runs. It is resolved here rather than written into the
    YAML because YAML configs are rendered when the project is parsed, and a parsed manifest outlives many runs.

    What stays whole-table: a `--full-refresh` loads every row, so it tests every row; every test on the
    intermediate, conformed and mart models (published output and disclosure control) has no `where` and always
    checks the whole table. The scoped tests are row-wise or keyed within a delivery (not_null, accepted_values,
    relationships to seeds, unique record per delivery), so checking the new deliveries' rows is checking every row
    that changed. A seed change (say a Home Office code withdrawn) is re-checked against history by a full refresh.

    A `dbt test` on its own (not inside the build that loaded the rows) would check none of those rows: run it with
    `--vars '{staging_tests_all_rows: true}'` to check the staging tables whole.

    Any other `where` works as dbt documents it.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- set this_run = 'loaded_at = ' ~ vrlake.run_loaded_at() -%}
        {%- set scope = '1 = 1' if var('staging_tests_all_rows', false) else this_run -%}
        {%- set where = where | replace('__loaded_this_run__', scope) -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
