{#- Every bronze feed and the staging model that reads it (all rows, before de-duplication). -#}
{%- set feeds = [
    ('police_occurrences', 'stg_police__occurrences'),
    ('police_nominals', 'stg_police__nominals'),
    ('probation_caseload', 'stg_probation__caseload'),
    ('education_census', 'stg_education__census'),
    ('education_exclusions', 'stg_education__exclusions'),
    ('ed_attendances', 'stg_health__ed_attendances'),
    ('ed_assaults', 'stg_health__ed_assaults'),
] -%}

with

{% for feed, model in feeds %}
{{ feed }} as (

    select
        '{{ feed }}' as feed,
        delivery_id,
        count(*) as bronze_rows
    from {{ ref(model) }}
    group by delivery_id

),

{% endfor %}
unioned as (

    {% for feed, model in feeds %}
    select * from {{ feed }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from unioned
