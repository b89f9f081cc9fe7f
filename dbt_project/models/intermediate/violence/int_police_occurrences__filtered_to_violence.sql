{%- set categories = var('violence_categories') -%}
{%- if categories | length == 0 -%}
    {{ exceptions.raise_compiler_error("var violence_categories must name at least one Home Office category") }}
{%- endif -%}

with

occurrences as (

    select * from {{ ref('int_police_occurrences__deduplicated') }}

),

violence_codes as (

    select
        code,
        category
    from {{ ref('home_office_violence_codes') }}
    where category in (
        {%- for category in categories %}
        '{{ category }}'{% if not loop.last %},{% endif %}
        {%- endfor %}
    )

),

violent_occurrences as (

    select
        occurrences.*,
        violence_codes.category as violence_category
    from occurrences
    inner join violence_codes
        on occurrences.ho_code = violence_codes.code

)

select * from violent_occurrences
