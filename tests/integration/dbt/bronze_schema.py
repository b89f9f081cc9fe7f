"""The bronze table schemas the dbt project reads, derived from the feed contracts and data-sharing agreements.

This is the column rule ingestion follows (one place for the tests to state it), so the dbt tests can build
realistic bronze tables and check that dbt's source declarations match what the agreements allow:

- ``keep`` -> same name, typed by the contract (date, boolean, integer -> int64, time -> 'HH:MM' string, string);
- ``pseudonymise`` -> ``<col>_token``; names (``identifier: name``) also get ``<col>_bloom``;
- ``coarsen`` to ``lsoa`` -> ``<col>_lsoa`` (plus ``<col>_token`` when ``link_token``);
- ``coarsen`` ``date_of_birth`` to ``year_month`` -> ``birth_year_month`` plus three keyed date tokens;
- ``drop`` -> absent;
plus the lineage columns every bronze table carries.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import polars as pl
import yaml

CONTRACTS_DIR: Final = Path("ingestors/contracts")
AGREEMENTS_DIR: Final = Path("privacy/agreements")

LINEAGE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "_record_key": pl.String(),
    "_delivery_id": pl.String(),
    "_source_file": pl.String(),
    "_row_number": pl.Int64(),
    "_period": pl.String(),
    "_ingested_at": pl.Datetime("us", "UTC"),
    "_contract_version": pl.Int32(),
    "_agreement_version": pl.Int32(),
}

_KEEP_TYPES: Final[dict[str, pl.DataType]] = {
    "string": pl.String(),
    "time": pl.String(),
    "date": pl.Date(),
    "boolean": pl.Boolean(),
    "integer": pl.Int64(),
}

REFERENCE_SCHEMAS: Final[dict[str, dict[str, pl.DataType]]] = {
    "reference/areas": {
        "lsoa_code": pl.String(),
        "lsoa_name": pl.String(),
        "ward_code": pl.String(),
        "ward_name": pl.String(),
        "la_code": pl.String(),
        "la_name": pl.String(),
        "csp_name": pl.String(),
        "deprivation_decile": pl.Int64(),
    },
    "reference/population": {
        "lsoa_code": pl.String(),
        "age_band": pl.String(),
        "sex": pl.String(),
        "population": pl.Int64(),
    },
    "linkage/person_index": {
        "source_feed": pl.String(),
        "_record_key": pl.String(),
        "person_key": pl.String(),
        "match_probability": pl.Float64(),
        "cluster_size": pl.Int64(),
        "model_version": pl.String(),
    },
    "ops/deliveries": {
        "delivery_id": pl.String(),
        "feed": pl.String(),
        "partner": pl.String(),
        "period": pl.String(),
        "source_file": pl.String(),
        "content_sha256": pl.String(),
        "status": pl.String(),
        "reason": pl.String(),
        "rows_read": pl.Int64(),
        "rows_loaded": pl.Int64(),
        "rows_rejected": pl.Int64(),
        "values_removed": pl.Int64(),
        "fields_dropped": pl.String(),
        "received_at": pl.Datetime("us", "UTC"),
        "ingested_at": pl.Datetime("us", "UTC"),
        "run_id": pl.String(),
        "contract_version": pl.Int32(),
        "agreement_version": pl.Int32(),
    },
}
"""Non-bronze tables the dbt project reads (lake-relative path -> schema)."""


def feeds(repo_root: Path) -> list[str]:
    """Every feed that has both a contract and an agreement, sorted."""
    contracts = {p.stem for p in (repo_root / CONTRACTS_DIR).glob("*.yaml") if p.stem != "code_lists"}
    agreements = {p.stem for p in (repo_root / AGREEMENTS_DIR).glob("*.yaml")}
    return sorted(contracts & agreements)


def feed_partner(repo_root: Path, feed: str) -> str:
    return str(_load(repo_root / CONTRACTS_DIR / f"{feed}.yaml")["partner"])


def bronze_schema(repo_root: Path, feed: str) -> dict[str, pl.DataType]:
    """Columns and types of ``bronze/<feed>``, in contract order followed by the lineage columns."""
    contract = _load(repo_root / CONTRACTS_DIR / f"{feed}.yaml")
    fields = _load(repo_root / AGREEMENTS_DIR / f"{feed}.yaml")["fields"]
    schema: dict[str, pl.DataType] = {}
    for column in contract["columns"]:
        name = column["name"]
        rule = fields.get(name, {"treatment": "drop"})
        treatment = rule["treatment"]
        if treatment == "keep":
            schema[name] = _KEEP_TYPES[column["type"]]
        elif treatment == "pseudonymise":
            schema[f"{name}_token"] = pl.String()
            if column.get("identifier") == "name":
                schema[f"{name}_bloom"] = pl.String()
        elif treatment == "coarsen" and rule["to"] == "lsoa":
            schema[f"{name}_lsoa"] = pl.String()
            if rule.get("link_token"):
                schema[f"{name}_token"] = pl.String()
        elif treatment == "coarsen" and rule["to"] == "year_month":
            schema["birth_year_month"] = pl.String()
            for token in ("dob_token", "dob_swapped_token", "dob_month_day_token"):
                schema[token] = pl.String()
        elif treatment != "drop":
            raise ValueError(f"{feed}.{name}: unknown treatment {rule!r}")
    return {**schema, **LINEAGE_SCHEMA}


def home_office_codes(repo_root: Path) -> list[tuple[str, str]]:
    """(code, category) for every Home Office code in the shared code list, in file order."""
    lists = _load(repo_root / CONTRACTS_DIR / "code_lists.yaml")["home_office_offence_codes"]
    return [
        (str(code), category)
        for category, codes in lists.items()
        if category != "description"
        for code in codes
    ]


def _load(path: Path) -> dict:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)
