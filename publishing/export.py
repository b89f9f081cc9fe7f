"""Publish a mart for commissioners in the `marts` zone: Delta, CSV, XLSX when it is short enough to read in Excel
(`DEFAULT_XLSX_MAX_ROWS`), and a manifest.

Only marts (models dbt built under `models/marts/`, which apply disclosure control) are published. The manifest says
what the file is, when its content was published, which partner deliveries fed it and a fingerprint of that content,
so a commissioner can tell how fresh each figure is.

A delivery often leaves marts unchanged (a partner's file feeds only some marts; a re-run changes none). Publishing
compares each mart's content fingerprint with the one in its manifest and rewrites the Delta, CSV and XLSX files
only when the content changed (or a file is missing); an unchanged mart keeps its files and gets a fresh manifest
(deliveries that fed it, time checked).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ingestors.lake import DELIVERIES_TABLE, scan_table, table_exists
from ingestors.ledger import DeliveryStatus
from storage import Store
from vrlake.warehouse import read_only_warehouse

EXCEL_DATA_ROWS = 1_048_575
"""Rows of data one worksheet holds: Excel's 1,048,576 rows less the header."""
EXCEL_SHEET_NAME_CHARS = 31
AUTOFIT_MAX_ROWS = 100_000
"""Column widths are fitted to the data on sheets up to this size; beyond it fitting costs more than it helps."""
XLSX_MAX_ROWS_ENV = "VRLAKE_XLSX_MAX_ROWS"
DEFAULT_XLSX_MAX_ROWS = 100_000
"""Marts longer than this are published as Delta and CSV only. A workbook is for a person reading in Excel; a mart of
area x age x sex x month cells at force scale runs to a million rows or more, which Excel opens slowly and nobody
reads by eye, and writing it cost about 60 microseconds a row (a 1.3M-row mart: over a minute, and gigabytes of
memory), the largest part of a refresh's publishing. Such marts are for analytical tools, which read the CSV or
Delta. Raising the limit past one worksheet continues the mart on further sheets."""

MARTS_ZONE = "marts"
FINGERPRINT_VERSION = 1
"""Bumped whenever ``content_fingerprint`` changes how it hashes, so every mart is rewritten once afterwards."""


@dataclass(frozen=True)
class PublishedMart:
    """What one publication did. ``rewritten`` is False when the content was unchanged and its files were kept;
    ``published_at`` is then the time that content was first published."""

    name: str
    rows: int
    columns: list[str]
    paths: dict[str, str]
    published_at: dt.datetime
    deliveries: int
    fingerprint: str
    rewritten: bool

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


def content_fingerprint(frame: pl.DataFrame) -> str:
    """A sha256 of a mart's content: column names and types, and the rows as a set (their order is not content;
    dbt does not guarantee one). Equal for equal content in any row order, different for any changed cell."""
    digest = hashlib.sha256(f"v{FINGERPRINT_VERSION}\n".encode())
    digest.update(json.dumps([[name, str(dtype)] for name, dtype in frame.schema.items()]).encode())
    canonical = frame.sort(frame.columns, nulls_last=True, maintain_order=True) if frame.columns else frame
    buffer = io.BytesIO()
    canonical.write_csv(buffer, null_value="\\N")
    digest.update(buffer.getvalue())
    return digest.hexdigest()


def xlsx_max_rows(env: Mapping[str, str]) -> int:
    """The longest mart published as a workbook: ``VRLAKE_XLSX_MAX_ROWS`` or ``DEFAULT_XLSX_MAX_ROWS``."""
    configured = env.get(XLSX_MAX_ROWS_ENV, "").strip()
    if not configured:
        return DEFAULT_XLSX_MAX_ROWS
    try:
        limit = int(configured.replace("_", "").replace(",", ""))
    except ValueError:
        limit = -1
    if limit < 0:
        raise ValueError(f"{XLSX_MAX_ROWS_ENV} must be a whole number of rows (0 for no workbooks), got {configured!r}")
    return limit


def _paths(mart: str, with_workbook: bool) -> dict[str, str]:
    paths = {"delta": f"{MARTS_ZONE}/{mart}", "csv": f"{MARTS_ZONE}/{mart}.csv"}
    return paths | ({"xlsx": f"{MARTS_ZONE}/{mart}.xlsx"} if with_workbook else {})


def _previous_manifest(store: Store, mart: str) -> dict[str, object] | None:
    """The mart's current manifest, or None when there is none (never published) or it cannot be read."""
    if not store.exists(MARTS_ZONE, f"{mart}.manifest.json"):
        return None
    try:
        previous = json.loads(store.read_text(MARTS_ZONE, f"{mart}.manifest.json"))
    except (OSError, ValueError):
        return None
    return previous if isinstance(previous, dict) else None


def _files_present(store: Store, mart: str, with_workbook: bool) -> bool:
    """Every file the mart is published as is there, and no workbook is left over when it has none."""
    from deltalake import DeltaTable

    if not store.exists(MARTS_ZONE, f"{mart}.csv") or store.exists(MARTS_ZONE, f"{mart}.xlsx") != with_workbook:
        return False
    return DeltaTable.is_deltatable(
        store.delta_uri(mart, zone=MARTS_ZONE), storage_options=store.delta_storage_options() or None
    )


def _write_files(store: Store, mart: str, frame: pl.DataFrame, with_workbook: bool) -> None:
    from deltalake import write_deltalake

    write_deltalake(
        store.delta_uri(mart, zone=MARTS_ZONE), frame.to_arrow(), mode="overwrite", schema_mode="overwrite",
        storage_options=store.delta_storage_options() or None,
    )
    csv_buffer = io.BytesIO()
    frame.write_csv(csv_buffer)
    store.write_bytes(MARTS_ZONE, f"{mart}.csv", csv_buffer.getvalue())
    if not with_workbook:
        # A workbook of earlier, shorter content would otherwise sit beside the new files, out of date.
        store.delete(MARTS_ZONE, f"{mart}.xlsx", missing_ok=True)
        return
    with tempfile.TemporaryDirectory() as tmp:
        xlsx = Path(tmp) / f"{mart}.xlsx"
        _write_workbook(xlsx, mart, frame)
        store.upload_file(MARTS_ZONE, f"{mart}.xlsx", xlsx)


def worksheet_names(mart: str, rows: int) -> list[str]:
    """The worksheets a mart of ``rows`` rows is written to: the mart's name (Excel allows 31 characters), or, when
    the rows exceed one sheet's limit, ``<name> (1)``, ``<name> (2)``, ... in row order."""
    parts = max(1, -(-rows // EXCEL_DATA_ROWS))
    if parts == 1:
        return [mart[:EXCEL_SHEET_NAME_CHARS]]
    return [f"{mart[: EXCEL_SHEET_NAME_CHARS - len(f' ({parts})')]} ({i})" for i in range(1, parts + 1)]


def _write_workbook(path: Path, mart: str, frame: pl.DataFrame) -> None:
    """One workbook; a mart too long for one worksheet (a force area's person-level prevalence cells run past a
    million rows) continues on further sheets, each with the header, so no row is ever cut off."""
    import xlsxwriter

    with xlsxwriter.Workbook(path) as workbook:
        for number, name in enumerate(worksheet_names(mart, frame.height)):
            part = frame.slice(number * EXCEL_DATA_ROWS, EXCEL_DATA_ROWS)
            part.write_excel(workbook, worksheet=name, autofit=part.height <= AUTOFIT_MAX_ROWS)


def publish_mart(
    store: Store, mart: str, frame: pl.DataFrame, *, force: bool = False, max_workbook_rows: int = DEFAULT_XLSX_MAX_ROWS
) -> PublishedMart:
    """Publish `frame` as `marts/<mart>/` (Delta), `<mart>.csv`, `<mart>.xlsx` and `<mart>.manifest.json`.

    The workbook is written only for marts of at most ``max_workbook_rows`` rows (see ``DEFAULT_XLSX_MAX_ROWS``);
    for a longer mart the manifest says why there is none, and no older workbook is left behind.

    The data files are rewritten only when the content fingerprint differs from the manifest's, a file is missing,
    or ``force``; otherwise they are left untouched. The manifest is always rewritten, last, so it describes the
    files on disk: its ``content_sha256`` and ``published_at`` are those of the files' content, ``checked_at`` and
    ``fed_by_deliveries`` those of this publication. Idempotent: publishing the same content twice writes no data.
    """
    checked_at = dt.datetime.now(dt.UTC)
    with_workbook = frame.height <= max_workbook_rows
    fingerprint = content_fingerprint(frame)
    previous = _previous_manifest(store, mart) or {}
    previously_published = previous.get("published_at")
    unchanged = (
        not force
        and previous.get("content_sha256") == fingerprint
        and isinstance(previously_published, str)
        and _files_present(store, mart, with_workbook)
    )
    if unchanged and isinstance(previously_published, str):
        published_at = dt.datetime.fromisoformat(previously_published)
    else:
        _write_files(store, mart, frame, with_workbook)
        published_at = checked_at
    deliveries = feeding_deliveries(store)
    manifest = {
        "mart": mart,
        "published_at": published_at.isoformat(),
        "checked_at": checked_at.isoformat(),
        "content_sha256": fingerprint,
        "rows": frame.height,
        "columns": frame.columns,
        "disclosure_control": "NHS rule: counts 1-7 suppressed, others rounded to the nearest 5",
        "files": _paths(mart, with_workbook),
        "fed_by_deliveries": deliveries,
    }
    if not with_workbook:
        manifest["no_workbook"] = (
            f"{frame.height:,} rows are more than a workbook is published for ({XLSX_MAX_ROWS_ENV}="
            f"{max_workbook_rows:,}); read the CSV or the Delta table"
        )
    store.write_text(MARTS_ZONE, f"{mart}.manifest.json", json.dumps(manifest, indent=2, default=str))
    return PublishedMart(
        name=mart,
        rows=frame.height,
        columns=frame.columns,
        paths=_paths(mart, with_workbook),
        published_at=published_at,
        deliveries=len(deliveries),
        fingerprint=fingerprint,
        rewritten=not unchanged,
    )
