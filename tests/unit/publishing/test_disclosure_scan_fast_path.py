"""The disclosure scan's vectorised pass may only speed it up: on any table it finds exactly what judging every
cell one by one finds, with the same reasons, rows and values."""

from __future__ import annotations

import random

import polars as pl
import pytest

from publishing.disclosure_scan import (
    _NO_DISPLAY,
    DisclosureRule,
    UnsafeCell,
    _cell_problems,
    count_columns,
    scan_frame,
)

RULE = DisclosureRule()
AWKWARD_VALUES = [None, 0, 1, 5, 7, 8, 9, 10, 12, 15, 20, 1_000_000, -5, -10]
AWKWARD_FLOATS = [None, 0.0, 10.0, 10.5, 7.0, float("nan"), float("inf"), -10.0, 1e20, 15.000001]
AWKWARD_TEXT = [None, "", " ", "0", "10", " 10 ", "0010", "7", "12", "1e1", "10.0", "ten", "*", "-10", "1_000"]
AWKWARD_DISPLAYS = [None, "", "*", " * ", "10", "15", "7", "10.0", "1e1", "x", "0", " 10", "12"]


def _position(cell: UnsafeCell) -> tuple[str, int, str]:
    return (cell.column, cell.row, cell.reason)


def _one_by_one(frame: pl.DataFrame, source: str) -> list[UnsafeCell]:
    found = []
    for column in count_columns(frame):
        display = f"{column}_display"
        shown = frame.get_column(display).cast(pl.String).to_list() if display in frame.columns else None
        for index, value in enumerate(frame.get_column(column).to_list()):
            cell = _NO_DISPLAY if shown is None else shown[index]
            found.extend(_cell_problems(source, column, index, value, cell, RULE))
    return found


def _random_frame(seed: int, rows: int = 400) -> pl.DataFrame:
    pick = random.Random(seed).choice
    return pl.DataFrame(
        {
            "lsoa_code": [f"E0{i:07d}" for i in range(rows)],
            "people": pl.Series([pick(AWKWARD_VALUES) for _ in range(rows)], dtype=pl.Int64),
            "people_display": [pick(AWKWARD_DISPLAYS) for _ in range(rows)],
            "episodes": pl.Series([pick(AWKWARD_FLOATS) for _ in range(rows)], dtype=pl.Float64),
            "episodes_display": [pick(AWKWARD_DISPLAYS) for _ in range(rows)],
            "victims": [pick(AWKWARD_TEXT) for _ in range(rows)],
            "victims_display": [pick(AWKWARD_DISPLAYS) for _ in range(rows)],
            "offenders": pl.Series([pick(AWKWARD_VALUES) for _ in range(rows)], dtype=pl.Int32),
            "flagged": [pick([True, False, None]) for _ in range(rows)],
            "flagged_display": [pick(AWKWARD_DISPLAYS) for _ in range(rows)],
            "rate_per_1000": [pick(AWKWARD_FLOATS) for _ in range(rows)],
        }
    )


@pytest.mark.parametrize("seed", range(5))
def test_vectorised_scan_finds_exactly_what_the_cell_by_cell_judge_finds(seed: int) -> None:
    frame = _random_frame(seed)
    checked, unsafe = scan_frame(frame, "t.csv", RULE)
    expected = _one_by_one(frame, "t.csv")
    assert expected, "the awkward values must include unsafe ones"
    assert checked == frame.height * len(count_columns(frame))
    assert sorted(unsafe, key=_position) == sorted(expected, key=_position)


def test_a_clean_table_passes_without_judging_cells_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pl.DataFrame({"people": [0, 10, 15, None], "people_display": ["0", "10", " 15", "*"]})
    import publishing.disclosure_scan as scan

    monkeypatch.setattr(scan, "_cell_problems", lambda *args: pytest.fail("a safe cell was judged one by one"))
    assert scan_frame(frame, "t.csv", RULE) == (4, [])
