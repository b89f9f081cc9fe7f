{#
    Use a model's custom schema as-is (staging, intermediate, conformed, marts, seeds) instead of dbt's default
    "<target schema>_<custom schema>": the warehouse has one environment per file, so prefixes add nothing.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
