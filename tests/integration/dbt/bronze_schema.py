"""The tables the dbt project reads, with the schemas ingestion writes (imported from the real code, so the dbt
tests build bronze tables that cannot drift from what ingestion produces)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import polars as pl
import yaml

from ingestors.contract import load_contracts
from ingestors.lake import REFERENCE_AREAS_TABLE, REFERENCE_POPULATION_TABLE
from ingestors.lake_init import PERSON_INDEX_SCHEMA, PERSON_INDEX_TABLE
from ingestors.ledger import DELIVERY_SCHEMA
from ingestors.quality import QUALITY_SCHEMA
from ingestors.reference import REFERENCE_FILES
from privacy.agreement import load_agreements
from privacy.protect import bronze_schema as derived_bronze_schema

CONTRACTS_DIR: Final = Path("ingestors/contracts")

REFERENCE_SCHEMAS: Final[dict[str, dict[str, pl.DataType]]] = {
    REFERENCE_AREAS_TABLE: REFERENCE_FILES[REFERENCE_AREAS_TABLE][1],
    REFERENCE_POPULATION_TABLE: REFERENCE_FILES[REFERENCE_POPULATION_TABLE][1],
    PERSON_INDEX_TABLE: PERSON_INDEX_SCHEMA,
    "ops/deliveries": DELIVERY_SCHEMA,
    "ops/quality": QUALITY_SCHEMA,
}
"""Non-bronze tables the dbt project reads (lake-relative path -> schema), as ingestion writes them."""


def feeds(repo_root: Path) -> list[str]:
    """Every feed that has both a contract and an agreement, sorted."""
    return sorted(set(load_contracts()) & set(load_agreements()))


def feed_partner(repo_root: Path, feed: str) -> str:
    return load_contracts()[feed].partner


def bronze_schema(repo_root: Path, feed: str) -> dict[str, pl.DataType]:
    """Columns and types of ``bronze/<feed>``: exactly what ingestion writes (derived, never restated here)."""
    return derived_bronze_schema(load_contracts()[feed], load_agreements()[feed])


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
