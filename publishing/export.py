"""Publish a mart for commissioners: Delta, CSV and XLSX in the `marts` zone, with a manifest.

Only marts (models dbt built under `models/marts/`, which apply disclosure control) are published. The manifest says
what the file is, when it was built and which partner deliveries fed it, so a commissioner can tell how fresh each
figure is.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ingestors.lake import DELIVERIES_TABLE, scan_table, table_exists
from ingestors.ledger import DeliveryStatus
from storage import Store
from vrlake.warehouse import read_only_warehouse

MARTS_ZONE = "marts"


@dataclass(frozen=True)
class PublishedMart:
    name: str
    rows: int
    columns: list[str]
    paths: dict[str, str]
    published_at: dt.datetime
    deliveries: int

    def preview_markdown(self, frame: pl.DataFrame, limit: int = 10) -> str:
        head = frame.head(limit)
        header = "| " + " | ".join(head.columns) + " |\n|" + "---|" * len(head.columns) + "\n"
        body = "\n".join("| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in head.iter_rows())
        return header + body


def read_mart(store: Store, mart: str, schema: str = "main") -> pl.DataFrame:
    with read_only_warehouse(store) as connection:
        relation = connection.sql(f'select * from "{schema}"."{mart}"')  # names come from the dbt manifest
        return pl.from_arrow(relation.fetch_arrow_table())  # type: ignore[return-value]


def feeding_deliveries(store: Store) -> list[dict[str, object]]:
    if not table_exists(store, DELIVERIES_TABLE):
        return []
    loaded = (
        scan_table(store, DELIVERIES_TABLE)
        .filter(pl.col("status") == DeliveryStatus.LOADED.value)
        .select("delivery_id", "feed", "partner", "period", "source_file", "ingested_at")
        .sort("ingested_at")
        .collect()
    )
    return loaded.to_dicts()


def publish_mart(store: Store, mart: str, frame: pl.DataFrame) -> PublishedMart:
    """Write `frame` as `marts/<mart>/` (Delta), `<mart>.csv`, `<mart>.xlsx` and `<mart>.manifest.json`."""
    from deltalake import write_deltalake

    published_at = dt.datetime.now(dt.UTC)
    write_deltalake(
        store.delta_uri(mart, zone=MARTS_ZONE), frame.to_arrow(), mode="overwrite", schema_mode="overwrite",
        storage_options=store.delta_storage_options() or None,
    )
    csv_buffer = io.BytesIO()
    frame.write_csv(csv_buffer)
    store.write_bytes(MARTS_ZONE, f"{mart}.csv", csv_buffer.getvalue())
    with tempfile.TemporaryDirectory() as tmp:
        xlsx = Path(tmp) / f"{mart}.xlsx"
        frame.write_excel(xlsx, worksheet=mart[:31], autofit=True)
        store.upload_file(MARTS_ZONE, f"{mart}.xlsx", xlsx)
    deliveries = feeding_deliveries(store)
    manifest = {
        "mart": mart,
        "published_at": published_at.isoformat(),
        "rows": frame.height,
        "columns": frame.columns,
        "disclosure_control": "NHS rule: counts 1-7 suppressed, others rounded to the nearest 5",
        "fed_by_deliveries": deliveries,
    }
    store.write_text(MARTS_ZONE, f"{mart}.manifest.json", json.dumps(manifest, indent=2, default=str))
    return PublishedMart(
        name=mart,
        rows=frame.height,
        columns=frame.columns,
        paths={"delta": f"{MARTS_ZONE}/{mart}", "csv": f"{MARTS_ZONE}/{mart}.csv", "xlsx": f"{MARTS_ZONE}/{mart}.xlsx"},
        published_at=published_at,
        deliveries=len(deliveries),
    )

