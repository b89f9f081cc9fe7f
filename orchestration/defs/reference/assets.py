"""Reference data (area lookup, population, postcode to LSOA) as assets loaded by `vrlake reference`."""

from __future__ import annotations

import dagster as dg

from ingestors.lake import REFERENCE_AREAS_TABLE, REFERENCE_POPULATION_TABLE, REFERENCE_POSTCODES_TABLE

REFERENCE_GROUP = "reference"
OPERATIONS_GROUP = "operations"

reference_specs = [
    dg.AssetSpec(
        key=table.split("/"),
        group_name=REFERENCE_GROUP,
        description=description,
        kinds={"delta"},
        owners=["team:vru-analysts"],
        tags={"tier": "reference"},
    )
    for table, description in (
        (REFERENCE_AREAS_TABLE, "LSOA -> ward -> local authority / CSP, with deprivation decile (ONS-format codes)."),
        (REFERENCE_POPULATION_TABLE, "Resident population by LSOA, age band and sex."),
        (REFERENCE_POSTCODES_TABLE, "Postcode to LSOA lookup used to coarsen postcodes before the lake."),
    )
]

operations_specs = [
    dg.AssetSpec(
        key=["ops", "deliveries"],
        group_name=OPERATIONS_GROUP,
        description="The delivery ledger: one row per delivered file (loaded, duplicate or quarantined) with its row accounting.",
        kinds={"delta"},
        owners=["team:vru-analysts"],
        tags={"tier": "operations"},
    ),
    dg.AssetSpec(
        key=["ops", "quality"],
        group_name=OPERATIONS_GROUP,
        description="Data-quality measures of every delivery (completeness, validity, timeliness), long form.",
        kinds={"delta"},
        owners=["team:vru-analysts"],
        tags={"tier": "operations"},
    ),
]
