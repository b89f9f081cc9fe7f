"""Create every table the warehouse reads, empty, before the first delivery.

Partners join over time. dbt's sources must exist even for a feed that has never delivered, so that every model
and mart still builds (showing that feed as missing) instead of failing on a missing table.
"""

from __future__ import annotations

import polars as pl

from ingestors.contract import load_contracts
from ingestors.ingest import REJECTS_SCHEMA
from ingestors.lake import (
    AUDIT_TABLE,
    DELIVERIES_TABLE,
    PER_DELIVERY_TABLE_PROPERTIES,
    QUALITY_TABLE,
    REFERENCE_AREAS_TABLE,
    REFERENCE_POPULATION_TABLE,
    REFERENCE_POSTCODES_TABLE,
    REJECTS_TABLE,
    bronze_table,
    ensure_table,
)
from ingestors.ledger import AUDIT_SCHEMA, DELIVERY_SCHEMA
from ingestors.quality import QUALITY_SCHEMA
from ingestors.reference import STORED_SCHEMAS
from privacy.agreement import load_agreements
from privacy.protect import bronze_schema
from privacy.release import RELEASES_SCHEMA, RELEASES_TABLE
from storage import Store

PERSON_INDEX_TABLE = "linkage/person_index"
PERSON_INDEX_SCHEMA: dict[str, pl.DataType] = {
    "source_feed": pl.String(),
    "_record_key": pl.String(),
    "person_key": pl.String(),
    "match_probability": pl.Float64(),
    "cluster_size": pl.Int64(),
    "model_version": pl.String(),
    "linked_at": pl.Datetime("us", "UTC"),
}


def initialise_lake(store: Store) -> list[str]:
    """Create missing zones and tables (idempotent). Returns the tables created."""
    store.ensure_zones()
    contracts, agreements = load_contracts(), load_agreements()
    wanted: dict[str, dict[str, pl.DataType]] = {
        bronze_table(feed): bronze_schema(contract, agreements[feed]) for feed, contract in contracts.items()
    }
    wanted.update(
        {
            DELIVERIES_TABLE: DELIVERY_SCHEMA,
            REJECTS_TABLE: REJECTS_SCHEMA,
            QUALITY_TABLE: QUALITY_SCHEMA,
            AUDIT_TABLE: AUDIT_SCHEMA,
            PERSON_INDEX_TABLE: PERSON_INDEX_SCHEMA,
            RELEASES_TABLE: RELEASES_SCHEMA,
        }
    )
    for table in (REFERENCE_AREAS_TABLE, REFERENCE_POPULATION_TABLE, REFERENCE_POSTCODES_TABLE):
        wanted[table] = STORED_SCHEMAS[table]
    per_delivery = {*(bronze_table(feed) for feed in contracts), DELIVERIES_TABLE, REJECTS_TABLE, QUALITY_TABLE, AUDIT_TABLE}
    return [
        table
        for table, schema in wanted.items()
        if ensure_table(store, table, schema, properties=PER_DELIVERY_TABLE_PROPERTIES if table in per_delivery else None)
    ]
