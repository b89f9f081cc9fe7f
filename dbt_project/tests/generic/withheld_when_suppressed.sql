{# Fails on every rate or percentage that is shown although the published count it derives from is suppressed. #}
{% test withheld_when_suppressed(model, column_name, count_column) %}
    select *
    from {{ model }}
    where {{ count_column }} is null and {{ column_name }} is not null
{% endtest %}
