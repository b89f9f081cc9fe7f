{#
    The keyed linkage columns every person feed carries from bronze, in one order: name and date-of-birth tokens
    for exact comparison, the names' keyed Bloom filters for fuzzy comparison, and the postcode token where the
    feed is agreed to share a postcode (`with_postcode`). Usable only for matching: no value here can be read back.
    One list, so a linkage column added to ingestion is added to every feed's staging model at once.
#}
{% macro linkage_token_columns(with_postcode=true) %}
        cast(surname_token as string) as surname_token,
        surname_bloom,
        cast(forenames_token as string) as forenames_token,
        forenames_bloom,
        cast(dob_token as string) as dob_token,
        cast(dob_swapped_token as string) as dob_swapped_token,
        cast(dob_month_day_token as string) as dob_month_day_token,
        {%- if with_postcode %}
        cast(postcode_token as string) as postcode_token,
        {%- endif %}
{%- endmacro %}
