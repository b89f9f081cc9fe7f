"""Load reference data (areas, population, postcode to LSOA lookup) into the lake.

Reference data is published statistics and lookups (ONS-format codes), not personal data. A VRU loads the real ONS
files; `vrlake synth` writes fictional ones in the same layout. Loading replaces each table whole.

The postcode lookup is stored keyed by the postcode's keyed token, not the postcode: a full postcode is a
quasi-identifier that must not reach the lake, even inside a public lookup, and ingestion coarsens by token anyway.
Loading it therefore needs the pseudonymisation key, and it must be reloaded if the key ever changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
from deltalake import write_deltalake

from ingestors.lake import REFERENCE_AREAS_TABLE, REFERENCE_POPULATION_TABLE, REFERENCE_POSTCODES_TABLE
from privacy.keys import PseudonymisationKey
from privacy.tokens import POSTCODE, tokenise
from storage import Store

REFERENCE_FILES: dict[str, tuple[str, dict[str, pl.DataType]]] = {
    REFERENCE_AREAS_TABLE: (
        "areas.csv",
        {
            "lsoa_code": pl.String(), "lsoa_name": pl.String(), "ward_code": pl.String(), "ward_name": pl.String(),
            "la_code": pl.String(), "la_name": pl.String(), "csp_name": pl.String(), "deprivation_decile": pl.Int32(),
        },
    ),
    REFERENCE_POPULATION_TABLE: (
        "population.csv",
        {"lsoa_code": pl.String(), "age_band": pl.String(), "sex": pl.String(), "population": pl.Int64()},
    ),
    REFERENCE_POSTCODES_TABLE: ("postcode_lsoa.csv", {"postcode": pl.String(), "lsoa_code": pl.String()}),
}
STORED_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    REFERENCE_AREAS_TABLE: REFERENCE_FILES[REFERENCE_AREAS_TABLE][1],
    REFERENCE_POPULATION_TABLE: REFERENCE_FILES[REFERENCE_POPULATION_TABLE][1],
    REFERENCE_POSTCODES_TABLE: {"postcode_token": pl.String(), "lsoa_code": pl.String()},
}


@dataclass(frozen=True)
class ReferenceLoad:
    table: str
    rows: int


def load_reference(store: Store, folder: Path, key: PseudonymisationKey) -> list[ReferenceLoad]:
    """Replace each reference table from `folder/<file>.csv`. Raises FileNotFoundError naming a missing file."""
    loads = []
    for table, (file_name, schema) in REFERENCE_FILES.items():
        path = folder / file_name
        if not path.is_file():
            raise FileNotFoundError(f"reference file {path} is missing (expected {', '.join(f for f, _ in REFERENCE_FILES.values())})")
        frame = pl.read_csv(path, schema_overrides=schema).select(list(schema))
        if "postcode" in frame.columns:
            frame = tokenise(frame, {"postcode": POSTCODE}, key).drop_nulls("postcode_token").unique("postcode_token")
        frame = frame.select(list(STORED_SCHEMAS[table]))
        write_deltalake(
            store.delta_uri(table), frame.to_arrow(), mode="overwrite", schema_mode="overwrite",
            storage_options=store.delta_storage_options() or None,
        )
        loads.append(ReferenceLoad(table, frame.height))
    return loads
