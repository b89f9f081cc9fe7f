"""A last line of defence before commissioners read anything: scan every published table for an unsafe count.

dbt already applies the NHS rule to every count it publishes and tests each mart. This scanner does not trust that:
it reads what actually sits in the ``marts`` zone (every CSV, every XLSX sheet, every Delta table) and checks each
count cell independently of how it was produced.

Which columns hold counts is decided from the published file alone, so a new mart is scanned without configuration:

- ``<name>`` is a count when the file also has ``<name>_display`` (the disclosure macro's representation);
- every other numeric column is a count too, unless its name says it is something else (``NOT_COUNT_SUFFIXES``,
  ``NOT_COUNT_PREFIXES``: ranks, orders, days, months, rates, percentages, ratios, published ONS populations).
  A new non-count number must be named accordingly; until then the scanner treats it as a count and fails.

A count cell is safe when it is empty (suppressed, and then its display cell must show the marker), 0, or a multiple
of the rounding base at least as large as the smallest publishable number (10 under the default rule: 1-7 are
suppressed, 8 and 9 round to 10). Display cells must show the marker or exactly the published number. Anything
else (a count from 1 to 7, a count that is not a multiple of 5, a display cell that leaks a raw number) is reported
with the file, column and row, so it can be found and withdrawn.

Guarantees: read-only; never prints or logs a cell's neighbours, only the offending value.
"""

from __future__ import annotations

import io
import math
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import polars as pl
import yaml

from storage import Store

MARTS_ZONE: Final = "marts"
DISPLAY_SUFFIX: Final = "_display"
NOT_COUNT_SUFFIXES: Final = (
    "_order",  # sort positions (age_band_order, day_order, ...)
    "_rank",  # rank of an area by a published rate
    "_population",  # ONS resident population: public statistics, not disclosure-controlled
    "_days",  # definitions and timeliness (match_window_days, typical_lag_days)
    "_months",  # coverage and lag in months
    "_pct",  # percentages
    "_per_1000",  # rates
    "_ratio",  # ratios of published rates
    "period",  # period labels ('2026-01', '2025-26', '2026'): a calendar year must not pass for a count
)
NOT_COUNT_PREFIXES: Final = ("pct_",)
DELTA_LOG: Final = "_delta_log/"


@dataclass(frozen=True)
class DisclosureRule:
    """The NHS HES/ECDS rule as configured for dbt (vars disclosure_suppress_max, _rounding_base, _marker)."""

    suppress_max: int = 7
    rounding_base: int = 5
    marker: str = "*"

    @classmethod
    def from_dbt_project(cls, project_dir: Path) -> DisclosureRule:
        """The thresholds dbt publishes with, read from ``dbt_project.yml`` so the two can never disagree."""
        project = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
        variables = project.get("vars", {})
        return cls(
            suppress_max=int(variables.get("disclosure_suppress_max", cls.suppress_max)),
            rounding_base=int(variables.get("disclosure_rounding_base", cls.rounding_base)),
            marker=str(variables.get("disclosure_marker", cls.marker)),
        )

    @property
    def min_publishable(self) -> int:
        """The smallest non-zero number the rule can publish (suppress_max + 1 rounded half up to the base)."""
        return math.floor((self.suppress_max + 1) / self.rounding_base + 0.5) * self.rounding_base

    def problem(self, value: float) -> str | None:
        """Why a published count is unsafe, or None when it is safe."""
        if not math.isfinite(value):
            return "not a finite number in a count column"
        if value != int(value):
            return "not a whole number in a count column"
        number = int(value)
        if number == 0:
            return None
        if number < 0:
            return "negative count"
        if number <= self.suppress_max:
            return f"count from 1 to {self.suppress_max} published instead of suppressed"
        if number % self.rounding_base:
            return f"count not rounded to a multiple of {self.rounding_base}"
        if number < self.min_publishable:
            return f"non-zero count below {self.min_publishable}"
        return None


@dataclass(frozen=True)
class UnsafeCell:
    """One unsafe published cell. ``row`` is 1-based among the table's data rows."""

    file: str
    column: str
    row: int
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: column {self.column!r}, row {self.row}: {self.value!r} ({self.reason})"


@dataclass
class ScanReport:
    """What the scan looked at and what it found; ``ok`` only when it found tables and no unsafe cell."""

    tables_scanned: list[str] = field(default_factory=list)
    cells_checked: int = 0
    unsafe: list[UnsafeCell] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.unsafe

    def summary(self, limit: int = 20) -> str:
        if self.ok:
            return (
                f"No unsafe count in {len(self.tables_scanned)} published tables "
                f"({self.cells_checked} count cells checked)."
            )
        lines = [f"{len(self.unsafe)} unsafe published cells in {len(self.tables_scanned)} tables:"]
        lines += [f"- {cell}" for cell in self.unsafe[:limit]]
        if len(self.unsafe) > limit:
            lines.append(f"- ... and {len(self.unsafe) - limit} more")
        return "\n".join(lines)


def is_exempt(column: str) -> bool:
    """True when the column's name says it holds something other than a count (see the module docstring)."""
    return column.endswith(NOT_COUNT_SUFFIXES) or column.startswith(NOT_COUNT_PREFIXES)


def count_columns(frame: pl.DataFrame) -> list[str]:
    """The columns of a published table that hold counts."""
    names = set(frame.columns)
    counts = []
    for column, dtype in frame.schema.items():
        if column.endswith(DISPLAY_SUFFIX):
            continue
        if f"{column}{DISPLAY_SUFFIX}" in names or (dtype.is_numeric() and not is_exempt(column)):
            counts.append(column)
    return counts


def scan_frame(frame: pl.DataFrame, source: str, rule: DisclosureRule) -> tuple[int, list[UnsafeCell]]:
    """Check every count cell (and its display cell) of one table. Returns (cells checked, unsafe cells).

    A force area publishes millions of count cells, so cells are first sorted in one vectorised pass into those
    that are certainly safe (a whole number that is 0 or publishable, shown exactly, or empty and shown as the
    marker) and the rest; only the rest are judged cell by cell, by the same rules and with the same reasons.
    The pass errs one way only: a cell it cannot prove safe is judged individually.
    """
    unsafe: list[UnsafeCell] = []
    checked = 0
    for column in count_columns(frame):
        display_name = f"{column}{DISPLAY_SUFFIX}"
        has_display = display_name in frame.columns
        checked += frame.height
        doubtful = (
            frame.select(
                pl.int_range(pl.len()).alias("__row"),
                pl.col(column).alias("__value"),
                (pl.col(display_name).cast(pl.String) if has_display else pl.lit(None, pl.String)).alias("__shown"),
                _certainly_safe(frame.schema[column], column, display_name if has_display else None, rule)
                .alias("__safe"),
            )
            .filter(~pl.col("__safe"))
        )
        for index, value, shown in doubtful.select("__row", "__value", "__shown").iter_rows():
            unsafe.extend(_cell_problems(source, column, index, value, shown if has_display else _NO_DISPLAY, rule))
    return checked, unsafe


_NO_DISPLAY: Final = object()
_WHOLE_NUMBER_TEXT: Final = r"^[0-9]{1,15}$"


def _certainly_safe(dtype: pl.DataType, column: str, display: str | None, rule: DisclosureRule) -> pl.Expr:
    """True for cells that are safe beyond doubt; False (never null) for every other cell."""
    value = pl.col(column)
    if dtype.is_integer():
        number = value.cast(pl.Int64)
    elif dtype.is_float():
        number = pl.when(value.is_finite() & (value == value.floor()) & (value.abs() < 1e15)).then(
            value.cast(pl.Int64)
        )
    elif dtype == pl.String:
        text = value.str.strip_chars()
        number = pl.when(text.str.contains(_WHOLE_NUMBER_TEXT)).then(text.cast(pl.Int64, strict=False))
    else:
        return pl.lit(False)
    publishable = (number == 0) | (
        (number > rule.suppress_max) & (number >= rule.min_publishable) & (number % rule.rounding_base == 0)
    )
    if display is None:
        return (value.is_null() | publishable).fill_null(False)
    shown = pl.col(display).cast(pl.String).str.strip_chars()
    shown_number = pl.when(shown.str.contains(_WHOLE_NUMBER_TEXT)).then(shown.cast(pl.Int64, strict=False))
    return (
        pl.when(value.is_null())
        .then(shown == rule.marker)
        .otherwise(publishable & (shown_number == number))
        .fill_null(False)
    )


def _cell_problems(
    source: str, column: str, index: int, value: Any, shown: Any, rule: DisclosureRule
) -> list[UnsafeCell]:
    """The unsafe findings for one count cell and (unless ``shown`` is ``_NO_DISPLAY``) its display cell."""
    number = _as_number(value)
    if value is not None and number is None:
        return [UnsafeCell(source, column, index + 1, str(value), "not a number in a count column")]
    problems = []
    if number is not None and (reason := rule.problem(number)):
        problems.append(UnsafeCell(source, column, index + 1, str(value), reason))
    if shown is not _NO_DISPLAY and (reason := _display_problem(shown, number, rule)) is not None:
        problems.append(UnsafeCell(source, f"{column}{DISPLAY_SUFFIX}", index + 1, str(shown), reason))
    return problems


def _as_number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    text = str(value).strip()
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _display_problem(shown: str | None, number: float | None, rule: DisclosureRule) -> str | None:
    text = (shown or "").strip()
    if number is None:
        return None if text == rule.marker else "a suppressed count not shown as the marker"
    if text == rule.marker:
        return "the marker shown for a published count"
    displayed = _as_number(text)
    if displayed is None:
        return "display text is neither the published number nor the marker"
    if (reason := rule.problem(displayed)) is not None:
        return reason
    if displayed != number:
        return "display text differs from the published count"
    return None


def published_tables(store: Store) -> Iterator[tuple[str, pl.DataFrame]]:
    """Every table in the marts zone: (name, frame) per CSV file, per XLSX sheet and per Delta table."""
    objects = store.list(MARTS_ZONE)
    delta_tables = sorted({o.path.split(DELTA_LOG)[0].rstrip("/") for o in objects if DELTA_LOG in o.path})
    for info in objects:
        if any(info.path.startswith(f"{table}/") for table in delta_tables):
            continue
        if info.path.endswith(".csv"):
            yield info.path, _read_csv(store.read_bytes(MARTS_ZONE, info.path))
        elif info.path.endswith(".xlsx"):
            yield from _read_workbook(store, info.path)
    for table in delta_tables:
        frame = pl.read_delta(
            store.delta_uri(table, zone=MARTS_ZONE), storage_options=store.delta_storage_options() or None
        )
        yield f"{table} (Delta)", frame


def _read_csv(data: bytes) -> pl.DataFrame:
    return _numbers_from_text(pl.read_csv(io.BytesIO(data), infer_schema=False))


def _numbers_from_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column read as text, then the columns whose every value is a number made numeric.

    Type inference on a sample of rows could read a column as text because its first rows are empty, and a text
    column without a display sibling would then escape the scan; parsing every cell decides from all of them.
    """
    return frame.with_columns(
        pl.col(column).cast(pl.Float64, strict=False)
        for column in frame.columns
        if not column.endswith(DISPLAY_SUFFIX) and _numeric_text(frame.get_column(column))
    )


def _numeric_text(values: pl.Series) -> bool:
    """A text column whose every non-empty value parses as a number (so the table publishes it as a number)."""
    present = values.drop_nulls().filter(values.drop_nulls().str.strip_chars() != "")
    return present.len() > 0 and present.cast(pl.Float64, strict=False).null_count() == 0


def _read_workbook(store: Store, path: str) -> Iterator[tuple[str, pl.DataFrame]]:
    with tempfile.TemporaryDirectory() as folder:
        local = store.download_to(MARTS_ZONE, path, Path(folder) / Path(path).name)
        sheets = pl.read_excel(local, sheet_id=0, infer_schema_length=0)
    for sheet, frame in sheets.items():
        yield f"{path} [{sheet}]", _numbers_from_text(frame)


def scan_published(
    store: Store, rule: DisclosureRule, tables: Iterable[tuple[str, pl.DataFrame]] | None = None
) -> ScanReport:
    """Scan every published table in the marts zone (or the given tables). Never raises for an unsafe cell."""
    report = ScanReport()
    for name, frame in tables if tables is not None else published_tables(store):
        checked, unsafe = scan_frame(frame, name, rule)
        report.tables_scanned.append(name)
        report.cells_checked += checked
        report.unsafe.extend(unsafe)
    return report
