"""The linkage truth: which synthetic person each landing row is about. Written only to the `--truth` path.

One CSV row per data row of every partner file:

- `feed`, `file` (file name), `row_number` (1-based position of the record among the file's data rows, the same
  numbering the ingestion readers use),
- `person_id` (the synthetic person, `P` + 8 digits; empty for police occurrence rows, which are about an event),
- `record_key` (the contract's natural key columns, canonical values before any deliberate defect, joined by `|`;
  dates ISO),
- `incident_id` (the underlying event: an ED attendance, its ISTV row and, when reported, the police occurrence and
  nominals share it),
- `defect` (empty, or the deliberate defect the row carries, e.g. `bad_check:nhs_number`).

Nothing in this file is ever written into a partner file.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

import polars as pl

TRUTH_COLUMNS = ("feed", "file", "row_number", "person_id", "record_key", "incident_id", "defect")


def person_id_expr(column: str = "_pid") -> pl.Expr:
    return pl.lit("P") + pl.col(column).cast(pl.String).str.zfill(8)


class TruthWriter:
    """Appends truth rows file by file; `close()` when done."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.rows = 0
        self._handle: IO[bytes] = path.open("wb")
        self._handle.write((",".join(TRUTH_COLUMNS) + "\n").encode("utf-8"))

    def add(self, feed: str, file_name: str, frame: pl.DataFrame, key_columns: tuple[str, ...]) -> None:
        """Truth rows for `frame`, whose row order is the file's row order."""
        keys = [
            pl.col(c).dt.strftime("%Y-%m-%d") if frame.schema[c] == pl.Date else pl.col(c).cast(pl.String)
            for c in key_columns
        ]
        person = person_id_expr() if "_pid" in frame.columns else pl.lit(None, pl.String)
        rows = frame.select(
            pl.lit(feed).alias("feed"),
            pl.lit(file_name).alias("file"),
            pl.int_range(1, pl.len() + 1).alias("row_number"),
            person.alias("person_id"),
            pl.concat_str(keys, separator="|", ignore_nulls=False).fill_null("").alias("record_key"),
            (pl.lit("I") + pl.col("_incident").cast(pl.String)).alias("incident_id")
            if "_incident" in frame.columns
            else pl.lit(None, pl.String).alias("incident_id"),
            pl.col("_defect").alias("defect")
            if "_defect" in frame.columns
            else pl.lit(None, pl.String).alias("defect"),
        )
        rows.write_csv(self._handle, include_header=False, line_terminator="\n", quote_style="necessary")
        self.rows += rows.height

    def close(self) -> None:
        self._handle.close()
