"""The data-quality report a partner gets back for every delivery.

Per delivery: completeness of each contract field, validity rate per rule, duplicates, the event date range,
timeliness (lag from events to delivery), fields dropped under the agreement, and the change in volume against the
previous delivery of the same feed. Stored long-form in `ops/quality`, written as markdown to
`reports/feedback/<partner>/`, and returned as a dict for Dagster metadata. Contains counts and rates only.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping

import polars as pl

from ingestors.contract import FeedContract
from ingestors.lake import DELIVERIES_TABLE, QUALITY_TABLE, LakeTables
from ingestors.ledger import DeliveryRecord, DeliveryStatus
from ingestors.validate import ValidationResult
from storage import Store

REPORTS = "reports"
FEEDBACK_PREFIX = "feedback"
QUALITY_SCHEMA: dict[str, pl.DataType] = {
    "delivery_id": pl.String(),
    "feed": pl.String(),
    "partner": pl.String(),
    "period": pl.String(),
    "metric": pl.String(),
    "field": pl.String(),
    "value": pl.Float64(),
    "recorded_at": pl.Datetime("us", "UTC"),
}


class QualityAccumulator:
    """Quality measures of one delivery, accumulated batch by batch (the file is never held whole)."""

    def __init__(self, contract: FeedContract) -> None:
        self.contract = contract
        self.rows = 0
        self.nulls: Counter[str] = Counter()
        self.present: set[str] = set()
        self.failures: Counter[str] = Counter()
        self.duplicates = 0
        self.event_dates: list[pl.Series] = []

    def add(self, canonical: pl.DataFrame, result: ValidationResult) -> None:
        self.rows += canonical.height
        for column in self.contract.columns:
            if column.name in canonical.columns:
                self.present.add(column.name)
                self.nulls[column.name] += canonical.get_column(column.name).null_count()
        for row in result.issues.group_by("column", "rule").agg(pl.len().alias("n")).iter_rows(named=True):
            self.failures[f"{row['column']}:{row['rule']}"] += row["n"]
        self.duplicates += result.issues.filter(pl.col("rule") == "duplicate_record").height
        event = self.contract.event_date
        if event and event in result.valid.columns:
            self.event_dates.append(result.valid.get_column(event).drop_nulls())

    def report(self, record: DeliveryRecord) -> dict[str, object]:
        rows = max(self.rows, 1)
        report: dict[str, object] = {
            "rows_read": record.rows_read,
            "rows_loaded": record.rows_loaded,
            "rows_rejected": record.rows_rejected,
            "values_removed": record.values_removed,
            "duplicates_in_delivery": self.duplicates,
            "fields_dropped": list(record.fields_dropped),
            "completeness": {
                c.name: round(1 - self.nulls[c.name] / rows, 4) if c.name in self.present else 0.0
                for c in self.contract.columns
            },
            "validity": {key: round(1 - n / rows, 4) for key, n in sorted(self.failures.items())},
        }
        dates = pl.concat(self.event_dates) if self.event_dates else pl.Series([], dtype=pl.Date)
        if dates.len():
            received = (record.received_at or dt.datetime.now(dt.UTC)).date()
            report["event_date_min"] = str(dates.min())
            report["event_date_max"] = str(dates.max())
            report["median_lag_days"] = float(pl.select((pl.lit(received) - dates).dt.total_days().median()).item() or 0.0)
        return report


def prepared_quality_report(frame: pl.DataFrame, record: DeliveryRecord, metadata: dict[str, object]) -> dict[str, object]:
    """Quality of a file prepared on the partner's side: validation happened there, so completeness is measured on
    the protected columns and the partner-side counts come from the file's metadata."""
    rows = max(frame.height, 1)
    return {
        "rows_read": record.rows_read,
        "rows_loaded": record.rows_loaded,
        "rows_rejected": record.rows_rejected,
        "values_removed": 0,
        "duplicates_in_delivery": 0,
        "fields_dropped": list(record.fields_dropped),
        "completeness": {c: round(1 - frame.get_column(c).null_count() / rows, 4) for c in frame.columns if not c.startswith("_")},
        "validity": {},
        "rejected_before_delivery": metadata.get("rows_rejected", 0),
    }


def previous_volume(store: Store, feed: str, before: dt.datetime, *, tables: LakeTables | None = None) -> int | None:
    """Rows read in the latest earlier loaded delivery of `feed`.

    With the `tables` of a run, the ledger is read incrementally (only deliveries recorded since the last lookup).
    """
    ledger = (tables or LakeTables(store)).read(DELIVERIES_TABLE)
    if ledger is None:
        return None
    earlier = ledger.filter(
        (pl.col("feed") == feed) & (pl.col("status") == DeliveryStatus.LOADED.value) & (pl.col("ingested_at") < before)
    ).sort("ingested_at")
    return int(earlier.get_column("rows_read")[-1]) if earlier.height else None


def write_quality(
    store: Store,
    contract: FeedContract,
    record: DeliveryRecord,
    report: dict[str, object],
    *,
    tables: LakeTables | None = None,
) -> None:
    """Persist the report (Delta, long form) and write the partner's markdown feedback file."""
    tables = tables or LakeTables(store)
    previous = previous_volume(store, contract.feed, record.ingested_at, tables=tables)
    if previous:
        report["volume_change_vs_previous"] = round(record.rows_read / previous - 1, 4)
    rows: list[dict[str, object]] = []

    def add(metric: str, field: str | None, value: float) -> None:
        rows.append({"metric": metric, "field": field, "value": float(value)})

    for key in ("rows_read", "rows_loaded", "rows_rejected", "values_removed", "duplicates_in_delivery"):
        add(key, None, float(report[key]))  # type: ignore[arg-type]
    for name, value in report["completeness"].items():  # type: ignore[union-attr]
        add("completeness", name, value)
    for name, value in report["validity"].items():  # type: ignore[union-attr]
        add("validity", name, value)
    for name in report["fields_dropped"]:  # type: ignore[union-attr]
        add("field_dropped", name, 1.0)
    for key in ("median_lag_days", "volume_change_vs_previous"):
        if key in report:
            add(key, None, float(report[key]))  # type: ignore[arg-type]
    frame = pl.DataFrame(rows, schema={"metric": pl.String, "field": pl.String, "value": pl.Float64}).with_columns(
        pl.lit(record.delivery_id).alias("delivery_id"),
        pl.lit(contract.feed).alias("feed"),
        pl.lit(record.partner).alias("partner"),
        pl.lit(record.period).alias("period"),
        pl.lit(record.ingested_at).cast(pl.Datetime("us", "UTC")).alias("recorded_at"),
    ).select(list(QUALITY_SCHEMA))
    tables.append_rows(QUALITY_TABLE, frame)
    path = f"{FEEDBACK_PREFIX}/{record.partner}/{contract.feed}_{record.period}_{record.delivery_id[:8]}.md"
    store.write_text(REPORTS, path, render_markdown(contract, record, report))


def render_markdown(contract: FeedContract, record: DeliveryRecord, report: Mapping[str, object]) -> str:
    """A report a partner's data officer can read without knowing vrlake."""
    lines = [
        f"# Data-quality report: {contract.title}",
        "",
        f"- File: `{record.source_file}` (period {record.period}, fingerprint `{record.content_sha256[:16]}`)",
        f"- Received: {record.received_at:%d %B %Y %H:%M} UTC" if record.received_at else "- Received: unknown",
        f"- Rows read: **{record.rows_read}**, loaded: **{record.rows_loaded}**, rejected: **{record.rows_rejected}**"
        f" (values removed from loaded rows: {record.values_removed})",
    ]
    if "event_date_min" in report:
        lines.append(
            f"- Event dates from {report['event_date_min']} to {report['event_date_max']}; "
            f"median lag from event to delivery {report['median_lag_days']:.0f} days"
        )
    if "volume_change_vs_previous" in report:
        lines.append(f"- Volume change against the previous delivery: {float(report['volume_change_vs_previous']):+.1%}")  # type: ignore[arg-type]
    dropped = report.get("fields_dropped") or []
    lines += ["", "## Fields not kept", ""]
    lines.append(
        "These columns are not in the data-sharing agreement (or the agreement says to drop them), so they were "
        "removed before anything was stored: " + ", ".join(f"`{d}`" for d in dropped)  # type: ignore[union-attr]
        if dropped
        else "None: every column delivered is covered by the agreement."
    )
    lines += ["", "## Completeness (share of rows with a value)", "", "| field | required | complete |", "|---|---|---|"]
    required = set(contract.required_columns)
    for name, value in report["completeness"].items():  # type: ignore[union-attr]
        lines.append(f"| {name} | {'yes' if name in required else 'no'} | {value:.1%} |")
    lines += ["", "## Validity (share of rows passing each rule)", ""]
    validity = report["validity"]
    if validity:
        lines += ["| field:rule | valid |", "|---|---|"]
        lines += [f"| {k} | {v:.2%} |" for k, v in validity.items()]  # type: ignore[union-attr]
        lines += ["", "Rejected rows and removed values are listed, line by line, in the rejects table the VRU can share with you."]
    else:
        lines.append("Every value passed every rule.")
    return "\n".join(lines) + "\n"
