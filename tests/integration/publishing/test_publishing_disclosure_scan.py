"""The scan of every published file: it passes on what the pipeline publishes, and it can fail.

Each planted unsafe cell is one a real mistake could produce (a raw count exported, a display column leaking the
number behind a '*', a small count rounded instead of suppressed); the scan must name its file, column and row in
every published format: CSV, XLSX and Delta.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path

import polars as pl
import pytest

from publishing.disclosure_scan import (
    MARTS_ZONE,
    DisclosureRule,
    count_columns,
    scan_frame,
    scan_published,
)
from storage import StorageSettings, Store, open_store

MART = "mart_violence_by_area_month"


@pytest.fixture
def rule(project_dir: Path) -> DisclosureRule:
    return DisclosureRule.from_dbt_project(project_dir)


@pytest.fixture
def copy_of(scenario_store: Store, tmp_path: Path) -> Store:
    """A private copy of the published scenario, safe to tamper with."""
    home = tmp_path / "home"
    shutil.copytree(scenario_store.settings.home, home)
    return open_store(StorageSettings(backend="local", home=home))


def test_rule_thresholds_come_from_the_dbt_project(rule: DisclosureRule) -> None:
    assert (rule.suppress_max, rule.rounding_base, rule.marker, rule.min_publishable) == (7, 5, "*", 10)


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        (0, True),
        (1, False),
        (7, False),
        (8, False),
        (9, False),
        (10, True),
        (12, False),
        (15, True),
        (-5, False),
    ],
)
def test_rule_boundaries(rule: DisclosureRule, value: int, safe: bool) -> None:
    assert (rule.problem(value) is None) is safe


def test_every_mart_is_published_in_every_format_and_passes_the_scan(
    scenario_store: Store, rule: DisclosureRule, project_dir: Path
) -> None:
    marts = {path.stem for path in (project_dir / "models" / "marts").rglob("mart_*.sql")}

    report = scan_published(scenario_store, rule)

    assert report.ok, report.summary()
    assert len(marts) == 11
    for mart in marts:
        assert f"{mart}.csv" in report.tables_scanned
        assert any(name.startswith(f"{mart}.xlsx [") for name in report.tables_scanned)
        assert f"{mart} (Delta)" in report.tables_scanned
    assert report.cells_checked > 1000


def test_a_planted_count_in_a_csv_is_caught(copy_of: Store, rule: DisclosureRule) -> None:
    frame = pl.read_csv(copy_of.read_bytes(MARTS_ZONE, f"{MART}.csv"), infer_schema=False)
    row = frame.with_row_index().filter(pl.col("violence_count_display") == "*").get_column("index")[0]
    # The raw count behind a '*' published in both columns (as an export of the wrong model would).
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == row).then(pl.lit("3")).otherwise(pl.col(c)).alias(c)
        for c in ("violence_count", "violence_count_display")
    )
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    copy_of.write_bytes(MARTS_ZONE, f"{MART}.csv", buffer.getvalue())

    report = scan_published(copy_of, rule)

    assert not report.ok
    flagged = {(cell.file, cell.column, cell.row, cell.value) for cell in report.unsafe}
    assert flagged == {
        (f"{MART}.csv", "violence_count", row + 1, "3.0"),
        (f"{MART}.csv", "violence_count_display", row + 1, "3"),
    }, report.summary()


def test_a_display_cell_leaking_the_number_behind_a_marker_is_caught(
    copy_of: Store, rule: DisclosureRule
) -> None:
    frame = pl.read_csv(copy_of.read_bytes(MARTS_ZONE, f"{MART}.csv"), infer_schema=False)
    row = frame.with_row_index().filter(pl.col("violence_count_display") == "*").get_column("index")[0]
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == row)
        .then(pl.lit("4"))
        .otherwise(pl.col("violence_count_display"))
        .alias("violence_count_display")
    )
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    copy_of.write_bytes(MARTS_ZONE, f"{MART}.csv", buffer.getvalue())

    report = scan_published(copy_of, rule)

    assert [(c.column, c.row, c.value) for c in report.unsafe] == [("violence_count_display", row + 1, "4")]


def test_a_planted_count_in_a_workbook_is_caught(copy_of: Store, rule: DisclosureRule) -> None:
    frame = pl.read_delta(copy_of.delta_uri(MART, zone=MARTS_ZONE))
    row = frame.with_row_index().filter(pl.col("violence_count") >= 10).get_column("index")[0]
    # A count rounded the wrong way: 12 published as it is.
    tampered = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == row)
        .then(12)
        .otherwise(pl.col("violence_count"))
        .alias("violence_count"),
        pl.when(pl.int_range(pl.len()) == row)
        .then(pl.lit("12"))
        .otherwise(pl.col("violence_count_display"))
        .alias("violence_count_display"),
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{MART}.xlsx"
        tampered.write_excel(path, worksheet=MART[:31])
        copy_of.upload_file(MARTS_ZONE, f"{MART}.xlsx", path)

    report = scan_published(copy_of, rule)

    assert {(c.file, c.column, c.row, c.reason) for c in report.unsafe} == {
        (f"{MART}.xlsx [{MART[:31]}]", "violence_count", row + 1, "count not rounded to a multiple of 5"),
        (
            f"{MART}.xlsx [{MART[:31]}]",
            "violence_count_display",
            row + 1,
            "count not rounded to a multiple of 5",
        ),
    }


def test_a_planted_count_in_a_delta_table_is_caught(copy_of: Store, rule: DisclosureRule) -> None:
    uri = copy_of.delta_uri("mart_agency_cohort_overlap", zone=MARTS_ZONE)
    frame = pl.read_delta(uri)
    # A small count rounded to 5 instead of suppressed.
    tampered = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(5).otherwise(pl.col("people")).alias("people"),
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit("5"))
        .otherwise(pl.col("people_display"))
        .alias("people_display"),
    )
    tampered.write_delta(uri, mode="overwrite")

    report = scan_published(copy_of, rule)

    assert {(c.file, c.column, c.row) for c in report.unsafe} == {
        ("mart_agency_cohort_overlap (Delta)", "people", 1),
        ("mart_agency_cohort_overlap (Delta)", "people_display", 1),
    }


def test_a_new_numeric_column_is_scanned_as_a_count_until_named_otherwise(rule: DisclosureRule) -> None:
    """A mart that adds a plain integer column cannot slip a small number past the scan."""
    frame = pl.DataFrame(
        {
            "area_code": ["E01000001", "E01000002"],
            "offences": [3, 10],  # no _display sibling, no exempt suffix: a count
            "resident_population": [1523, 1201],  # public ONS figures: exempt by name
            "age_band_order": [1, 2],
            "violence_rate_per_1000": [2.3, 6.6],
        }
    )

    assert count_columns(frame) == ["offences"]
    checked, unsafe = scan_frame(frame, "example", rule)
    assert checked == 2
    assert [(c.column, c.row, c.value) for c in unsafe] == [("offences", 1, "3")]
