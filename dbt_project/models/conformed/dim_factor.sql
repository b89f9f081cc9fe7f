{#
    The shared catalogue of risk and protective factors (seed risk_protective_factors, from the domain reference):
    what each factor means, which feeds and fields evidence it, its observation window and data-quality caveat.
#}

with

factors as (

    select * from {{ ref('risk_protective_factors') }}

),

final as (

    select
        cast(factor_code as {{ dbt.type_string() }}) as factor_code,
        cast(factor_name as {{ dbt.type_string() }}) as factor_name,
        cast(polarity as {{ dbt.type_string() }}) as polarity,
        cast(who_domain as {{ dbt.type_string() }}) as who_domain,
        cast(eif_domain as {{ dbt.type_string() }}) as eif_domain,
        cast(definition as {{ dbt.type_string() }}) as definition,
        cast(evidencing_feeds as {{ dbt.type_string() }}) as evidencing_feeds,
        cast(evidencing_fields as {{ dbt.type_string() }}) as evidencing_fields,
        cast(observation_window as {{ dbt.type_string() }}) as observation_window,
        cast(data_quality_caveat as {{ dbt.type_string() }}) as data_quality_caveat,
        cast(contradicted_by as {{ dbt.type_string() }}) as contradicted_by,
        cast(is_evidenced as boolean) as is_evidenced,
        -- R01..R18 then P01..P04: the catalogue's own order
        case when polarity = 'risk' then 0 else 1 end * 100
            + cast(substr(factor_code, 2, 2) as integer) as factor_order
    from factors

)

select * from final
