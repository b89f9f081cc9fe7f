"""Snapshot feeds repeat a record key in every period: linkage keeps one record per key, the most recent one."""

from __future__ import annotations

import datetime as dt

import polars as pl

from linkage.records import latest_per_record

EARLY = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
LATE = dt.datetime(2026, 2, 5, tzinfo=dt.UTC)


def bronze(rows: list[tuple[str, str | None, dt.datetime, int, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"_record_key": pl.String, "_period": pl.String, "_ingested_at": pl.Datetime("us", "UTC"),
                "_row_number": pl.Int64, "surname_token": pl.String},
        orient="row",
    )


def test_the_latest_period_then_ingestion_then_row_wins_and_carries_its_whole_row() -> None:
    rows = bronze([
        ("pupil-1", "2025-10", LATE, 1, "autumn"),
        ("pupil-1", "2026-01", EARLY, 9, "spring"),       # latest period wins over a later ingestion
        ("pupil-2", "2026-01", EARLY, 1, "first load"),
        ("pupil-2", "2026-01", LATE, 4, "reloaded"),      # same period: the later ingestion wins
        ("pupil-3", "2026-01", EARLY, 7, "row 7"),
        ("pupil-3", "2026-01", EARLY, 2, "row 2"),        # same ingestion: the lower row number wins
        ("pupil-4", None, LATE, 1, "no period"),
        ("pupil-4", "2025-10", EARLY, 1, "with period"),  # a missing period never beats a known one
    ])

    latest = latest_per_record(rows)

    assert dict(latest.select("_record_key", "surname_token").iter_rows()) == {
        "pupil-1": "spring", "pupil-2": "reloaded", "pupil-3": "row 2", "pupil-4": "with period",
    }
    assert latest.columns == rows.columns


def test_a_complete_tie_keeps_the_first_row_read() -> None:
    rows = bronze([("pupil-1", "2026-01", EARLY, 1, "first"), ("pupil-1", "2026-01", EARLY, 1, "second")])

    assert latest_per_record(rows)["surname_token"].to_list() == ["first"]
    assert latest_per_record(rows.reverse())["surname_token"].to_list() == ["second"]
