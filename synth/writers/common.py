"""Rendering shared by the partner writers: canonical values to a partner's text, and deliberate defects.

A writer receives a frame of canonical values (contract column names, typed: dates as dates, booleans as
booleans, codes as the contract's canonical codes) plus internal columns starting with `_`. `render` turns it into
what the partner's system writes: contract columns in contract order, dates in the contract's first format, codes
in the partner's own variant (always one the contract's code map translates back), booleans as Y/N, and each
row's `_defect` applied. Headers are the first alias of each column.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from synth.checkdigits import corrupt_nhs_number, corrupt_pnc_id, corrupt_upn
from synth.contracts import Contract, contract

INTERNAL_PREFIX = "_"
DEFECT = "_defect"

_BAD_DATES = {
    "%d/%m/%Y": ("31/02/{year}", "00/05/{year}", "15/13/{year}"),
    "%Y-%m-%d": ("{year}-02-30", "{year}-13-05", "{year}-00-10"),
}
_CORRUPTORS = {"nhs_number": corrupt_nhs_number, "upn": corrupt_upn, "pnc_id": corrupt_pnc_id}


@dataclass(frozen=True)
class FeedStyle:
    """How one partner system writes one feed."""

    feed: str
    extension: str
    variants: dict[str, dict[str, str]] = field(default_factory=dict)
    """Column -> canonical code -> the code the partner's system writes."""
    unknown_codes: dict[str, str] = field(default_factory=dict)
    """Column -> a value outside the contract (for `unknown_code` defects)."""
    booleans: tuple[str, str] | None = ("Y", "N")
    """Text for true/false, or None to keep native booleans (JSON)."""
    keep_dates: bool = False
    """Leave date columns as dates (Excel writes real dates)."""

    @property
    def contract(self) -> Contract:
        return contract(self.feed)


def render(frame: pl.DataFrame, style: FeedStyle) -> pl.DataFrame:
    """The partner's values for every contract column (canonical column names), defects applied.

    Guarantees: the output has exactly the contract's columns, in contract order, and no internal column.
    """
    spec = style.contract
    missing = [c for c in spec.names if c not in frame.columns]
    if missing:
        raise ValueError(f"{style.feed}: frame lacks contract columns {missing}")
    exprs: list[pl.Expr] = []
    for column in spec.columns:
        expr = pl.col(column.name)
        dtype = frame.schema[column.name]
        if dtype == pl.Date and not style.keep_dates:
            expr = expr.dt.strftime(column.date_format or "%Y-%m-%d")
        elif dtype == pl.Boolean and style.booleans is not None:
            yes, no = style.booleans
            expr = (
                pl.when(expr)
                .then(pl.lit(yes))
                .when(~expr)
                .then(pl.lit(no))
                .otherwise(pl.lit(None, pl.String))
            )
        if column.name in style.variants:
            expr = expr.replace(style.variants[column.name])
        exprs.append(expr.alias(column.name))
    rendered = frame.select(exprs)
    if DEFECT in frame.columns:
        rendered = _apply_defects(rendered, frame[DEFECT], style)
    return rendered


def _apply_defects(rendered: pl.DataFrame, defects: pl.Series, style: FeedStyle) -> pl.DataFrame:
    spec = style.contract
    rows = defects.is_not_null().arg_true().to_list()
    if not rows:
        return rendered
    changes: dict[str, dict[int, object]] = {}
    kinds = defects.to_list()
    for row in rows:
        kind, _, name = kinds[row].partition(":")
        column = spec.column(name)
        current = rendered[name][row]
        if kind == "missing":
            value: object = None
        elif kind == "unknown_code":
            value = style.unknown_codes[name]
        elif kind == "bad_date":
            if rendered.schema[name] == pl.Date:
                continue  # a workbook writes the bad date as text itself (see the education writer)
            year = str(current)[-4:] if (column.date_format or "").endswith("%Y") else str(current)[:4]
            patterns = _BAD_DATES[column.date_format or "%Y-%m-%d"]
            value = patterns[row % len(patterns)].format(year=year)
        elif kind == "bad_check":
            value = _CORRUPTORS[name](str(current))
        else:
            raise ValueError(f"unknown defect {kinds[row]!r}")
        changes.setdefault(name, {})[row] = value
    updates = []
    for name, by_row in changes.items():
        values = rendered[name].to_list()
        for row, value in by_row.items():
            values[row] = value
        updates.append(pl.Series(name, values, dtype=rendered.schema[name]))
    return rendered.with_columns(updates)


def bad_date_text(date_format: str, year: int, row: int) -> str:
    """An impossible date in `date_format` (for a workbook cell)."""
    patterns = _BAD_DATES[date_format]
    return patterns[row % len(patterns)].format(year=year)


def headers(style: FeedStyle, columns: list[str]) -> dict[str, str]:
    return {name: style.contract.column(name).header for name in columns}


def write_delimited(
    rendered: pl.DataFrame,
    style: FeedStyle,
    path: Path,
    *,
    separator: str = ",",
    encoding: str = "utf-8",
    bom: bool = False,
    line_terminator: str = "\n",
) -> None:
    """Delimited text with the partner's headers. Quotes only where needed (delimiters, quotes, line breaks)."""
    text = rendered.rename(headers(style, rendered.columns)).write_csv(
        None, separator=separator, line_terminator=line_terminator, quote_style="necessary"
    )
    data = text.encode(encoding)  # strict: a name the encoding cannot hold is a generator bug, not data
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def write_json_lines(rendered: pl.DataFrame, style: FeedStyle, path: Path) -> None:
    buffer = io.BytesIO()
    rendered.rename(headers(style, rendered.columns)).write_ndjson(buffer)
    path.write_bytes(buffer.getvalue())
