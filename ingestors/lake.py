"""Delta tables in the `lake` zone: where each table lives and the one idempotent way vrlake writes them.

Every write is a *scoped replace*: one Delta commit that deletes the rows matching a predicate (a delivery, or a
feed's period) and inserts the new rows. A Delta commit is atomic, so a crash leaves either the old rows or the new
ones, and a rerun of the same delivery replaces its own rows instead of adding a second copy.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

from storage import Store

BRONZE_PREFIX = "bronze"
REJECTS_TABLE = "ops/rejects"
DELIVERIES_TABLE = "ops/deliveries"
QUALITY_TABLE = "ops/quality"
AUDIT_TABLE = "ops/audit"
REFERENCE_AREAS_TABLE = "reference/areas"
REFERENCE_POPULATION_TABLE = "reference/population"
REFERENCE_POSTCODES_TABLE = "reference/postcode_lsoa"


def bronze_table(feed: str) -> str:
    return f"{BRONZE_PREFIX}/{feed}"


def table_exists(store: Store, table: str) -> bool:
    try:
        DeltaTable(store.delta_uri(table), storage_options=store.delta_storage_options())
    except TableNotFoundError:
        return False
    return True


def read_table(store: Store, table: str, schema: Mapping[str, pl.DataType] | None = None) -> pl.DataFrame:
    """The whole table, or an empty frame with `schema` when it does not exist yet."""
    if not table_exists(store, table):
        return pl.DataFrame(schema=dict(schema or {}))
    return pl.read_delta(store.delta_uri(table), storage_options=store.delta_storage_options() or None)


def scan_table(store: Store, table: str) -> pl.LazyFrame:
    return pl.scan_delta(store.delta_uri(table), storage_options=store.delta_storage_options() or None)


def ensure_table(store: Store, table: str, schema: Mapping[str, pl.DataType]) -> bool:
    """Create an empty table with `schema` if it does not exist. Returns True when it was created."""
    if table_exists(store, table):
        return False
    write_deltalake(
        store.delta_uri(table),
        pl.DataFrame(schema=dict(schema)).to_arrow(),
        mode="append",
        storage_options=store.delta_storage_options() or None,
    )
    return True


def replace_rows(store: Store, table: str, frame: pl.DataFrame | pa.RecordBatchReader, predicate: str) -> None:
    """Atomically replace the rows matching `predicate` with `frame` or a stream of batches (creating the table if
    needed), in one Delta commit.

    `predicate` is a SQL predicate built by `equals(...)` from known column names and escaped values.
    """
    options = store.delta_storage_options() or None
    uri = store.delta_uri(table)
    data = frame.to_arrow() if isinstance(frame, pl.DataFrame) else frame
    try:
        # Opened once and handed to the writer: each open reads the table's log (round trips on object stores).
        existing = DeltaTable(uri, storage_options=store.delta_storage_options())
    except TableNotFoundError:
        write_deltalake(uri, data, mode="append", storage_options=options)
        return
    write_deltalake(existing, data, mode="overwrite", predicate=predicate, schema_mode=None)


def append_rows(store: Store, table: str, frame: pl.DataFrame) -> None:
    write_deltalake(
        store.delta_uri(table), frame.to_arrow(), mode="append", storage_options=store.delta_storage_options() or None
    )


def equals(column: str, value: str) -> str:
    """A Delta predicate `column = 'value'`, with the value's quotes escaped (values come from file names)."""
    if not column.replace("_", "").isalnum():
        raise ValueError(f"not a column name: {column!r}")
    return f"{column} = '{value.replace(chr(39), chr(39) * 2)}'"
