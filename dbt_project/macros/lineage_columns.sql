{#
    The lineage columns every bronze table carries, renamed and cast for staging models.
    Ingestion writes them; they say which delivery and file row each record came from.
#}
{% macro lineage_columns() %}
        cast(_delivery_id as string) as delivery_id,
        cast(_source_file as string) as source_file,
        cast(_row_number as bigint) as source_row_number,
        cast(_period as string) as delivery_period,
        {{ utc_timestamp("_ingested_at") }} as ingested_at,
        cast(_contract_version as integer) as contract_version,
        cast(_agreement_version as integer) as agreement_version
{%- endmacro %}
