{# Counting events relies on exactly one is_event_row per violence_event_id: fails on every event with 0 or 2+. #}
select
    violence_event_id,
    sum(case when is_event_row then 1 else 0 end) as event_rows
from {{ ref('fct_violence_event') }}
group by violence_event_id
having sum(case when is_event_row then 1 else 0 end) <> 1
