"""The delivery ledger (`ops/deliveries`) and the audit trail (`ops/audit`).

The ledger holds one row per delivery outcome. It is how vrlake knows a file's content was already loaded (under
any name), and it stores the row accounting that the `row_accounting` asset check verifies.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import asdict, dataclass, field
from enum import StrEnum

import polars as pl

from ingestors.lake import AUDIT_TABLE, DELIVERIES_TABLE, LakeTables
from storage import Store


class DeliveryStatus(StrEnum):
    LOADED = "loaded"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"


DELIVERY_SCHEMA: dict[str, pl.DataType] = {
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
}

AUDIT_SCHEMA: dict[str, pl.DataType] = {
    "event_id": pl.String(),
    "event_type": pl.String(),
    "occurred_at": pl.Datetime("us", "UTC"),
    "run_id": pl.String(),
    "user": pl.String(),
    "feed": pl.String(),
    "delivery_id": pl.String(),
    "detail": pl.String(),
}


@dataclass
class DeliveryRecord:
    """One ledger row. Never carries identifiers: file names are partners' extract names, not people's."""

    delivery_id: str
    feed: str | None
    partner: str
    period: str | None
    source_file: str
    content_sha256: str
    status: DeliveryStatus
    reason: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    values_removed: int = 0
    fields_dropped: list[str] = field(default_factory=list)
    received_at: dt.datetime | None = None
    ingested_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    run_id: str | None = None
    contract_version: int | None = None
    agreement_version: int | None = None

    def to_frame(self) -> pl.DataFrame:
        row = asdict(self)
        row["status"] = str(self.status)
        row["fields_dropped"] = ",".join(self.fields_dropped)
        return pl.DataFrame([row], schema=DELIVERY_SCHEMA)


def record_delivery(store: Store, record: DeliveryRecord, *, tables: LakeTables | None = None) -> None:
    (tables or LakeTables(store)).append_rows(DELIVERIES_TABLE, record.to_frame())


def loaded_delivery_with_content(
    store: Store, content_sha256: str, *, period: str | None = None, tables: LakeTables | None = None
) -> dict[str, object] | None:
    """The earlier loaded delivery with this exact content (and this period, when given), if any.

    With the `tables` of a run, the ledger is read incrementally (only deliveries recorded since the last lookup).
    """
    ledger = (tables or LakeTables(store)).read(DELIVERIES_TABLE)
    if ledger is None:
        return None
    same = (pl.col("content_sha256") == content_sha256) & (pl.col("status") == DeliveryStatus.LOADED.value)
    if period is not None:
        same = same & (pl.col("period") == period)
    hits = ledger.filter(same).sort("ingested_at")
    return hits.row(0, named=True) if hits.height else None


def audit(
    store: Store,
    event_type: str,
    *,
    run_id: str | None,
    user: str | None,
    feed: str | None = None,
    delivery_id: str | None = None,
    detail: dict[str, object] | None = None,
    tables: LakeTables | None = None,
) -> None:
    """Append one audit event. `detail` must not contain identifiers or secrets (callers pass counts and names)."""
    row = {
        "event_id": uuid.uuid4().hex,
        "event_type": event_type,
        "occurred_at": dt.datetime.now(dt.UTC),
        "run_id": run_id,
        "user": user,
        "feed": feed,
        "delivery_id": delivery_id,
        "detail": json.dumps(detail or {}, sort_keys=True, default=str),
    }
    (tables or LakeTables(store)).append_rows(AUDIT_TABLE, pl.DataFrame([row], schema=AUDIT_SCHEMA))
