{#
    Community-factor evidence from where people live: one row per linked record that gives a home LSOA per rule
    met, attributed to the agency whose record gave the address.
      R15  home LSOA in IMD deciles 1..var deprivation_decile_max
      R17  home LSOA a violence hotspot in the observation period of the record (int_violence_hotspot_lsoas__ranked)
#}

with

records as (

    select * from {{ ref('int_person_records__unioned') }}
    where residence_lsoa is not null

),

areas as (

    select * from {{ ref('dim_area') }}

),

hotspots as (

    select * from {{ ref('int_violence_hotspot_lsoas__ranked') }}
    where is_hotspot

),

rules as (

    select
        'R15' as factor_code,
        'R15_home_area_deprivation' as evidence_rule,
        records.*
    from records as records
    inner join areas as areas
        on records.residence_lsoa = areas.lsoa_code
    where areas.deprivation_decile <= {{ var('deprivation_decile_max') | int }}

    union all

    select
        'R17',
        'R17_home_area_violence_hotspot',
        records.*
    from records as records
    inner join hotspots as hotspots
        on records.residence_lsoa = hotspots.lsoa_code
        and records.observation_period_start = hotspots.observation_period_start

),

final as (

    select
        person_key,
        factor_code,
        evidence_rule,
        partner as source_agency,
        source_feed,
        record_key as source_record_key,
        record_date as observed_date
    from rules

)

select * from final
