"""Validate a delivery's rows against its feed contract (pandera on Polars) and type the rows that pass.

Guarantees:
- every delivered row ends up in exactly one of `valid` or `rejected_rows` (nothing is silently lost);
- a broken required value rejects the row; a broken optional value is removed from that row (the row still
  counts, e.g. an assault attendance with a mistyped NHS number) and recorded as an issue;
- every problem is recorded with its line, column, rule and a plain-English message, and the raw value only when the
  column is content (never an identifier).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandera.polars as pa
import polars as pl

from ingestors.checks import identifier_check
from ingestors.contract import ColumnClass, ColumnSpec, FeedContract, allowed_codes
from ingestors.readers import ROW_NUMBER

EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's serial day 0 (its 1900 leap-year bug folded in)
EXCEL_SERIAL_RANGE = (1, 80_000)
WITHHELD = "[withheld: identifier]"
ISSUE_SCHEMA = {
    ROW_NUMBER: pl.Int64,
    "column": pl.String,
    "rule": pl.String,
    "message": pl.String,
    "raw_value": pl.String,
    "action": pl.String,
}
ROW_REJECTED = "row_rejected"
VALUE_REMOVED = "value_removed"


@dataclass(frozen=True)
class ValidationResult:
    """Typed valid rows, and every issue found. `rejected_row_numbers` are the rows not loaded."""

    valid: pl.DataFrame
    issues: pl.DataFrame
    rejected_row_numbers: pl.Series

    @property
    def rows_rejected(self) -> int:
        return self.rejected_row_numbers.len()


@dataclass(frozen=True)
class _Rule:
    column: ColumnSpec
    rule: str
    message: str


class SeenKeys:
    """Record keys met in earlier batches of the same delivery, so a repeat is caught across batch boundaries.

    Holds 64-bit hashes, not the keys (which may be identifiers); a collision would reject one row as a duplicate,
    with odds around 1 in 10^9 for a 5-million-row delivery.
    """

    def __init__(self) -> None:
        self.hashes = pl.Series("hash", [], dtype=pl.UInt64)

    def repeated(self, frame: pl.DataFrame, keys: list[str]) -> pl.Series:
        """Rows whose key appeared earlier (in this frame or a previous one); remembers the rest."""
        hashes = frame.select(pl.struct(keys).hash(seed=0)).to_series()
        within = frame.select(pl.struct(keys).is_first_distinct().not_()).to_series()
        earlier = hashes.is_in(self.hashes.implode())
        repeated = within | earlier
        self.hashes = pl.concat([self.hashes, hashes.filter(~repeated)])
        return repeated


def validate(frame: pl.DataFrame, contract: FeedContract, seen: SeenKeys | None = None) -> ValidationResult:
    """Validate canonical-named text columns of `frame` (plus `_row_number`) against `contract`.

    Pass the same `seen` for every batch of a delivery so repeated records are caught across batches.
    """
    present = [c for c in contract.columns if c.name in frame.columns]
    frame = _standardise(frame, present)
    rules: dict[str, _Rule] = {}
    schema = pa.DataFrameSchema({c.name: _column_schema(c, rules) for c in present}, strict=False)
    failures = _failure_cases(schema, frame)

    issues = (
        failures.join(frame.select(ROW_NUMBER).with_row_index("index"), on="index", how="left")
        .with_columns(
            pl.col("check").replace_strict({k: r.rule for k, r in rules.items()}, default=pl.col("check")).alias("rule"),
            pl.col("check")
            .replace_strict({k: r.message for k, r in rules.items()}, default=pl.lit("required value is missing"))
            .alias("template"),
        )
        .with_columns(
            pl.when(pl.col("check") == "not_nullable")
            .then(pl.lit("required"))
            .otherwise(pl.col("rule"))
            .alias("rule"),
        )
    )
    required = {c.name for c in present if c.required}
    identifying = {c.name for c in present if c.column_class is not ColumnClass.CONTENT}
    issues = issues.with_columns(
        # An identifier's value must not travel into the rejects table, not even inside the message.
        pl.when(pl.col("column").is_in(sorted(identifying)))
        .then(pl.col("template").str.replace("'{value}'", "the value", literal=True))
        .otherwise(pl.col("template").str.replace("{value}", pl.col("failure_case").fill_null(""), literal=True))
        .alias("message"),

        pl.when(pl.col("column").is_in(sorted(identifying)))
        .then(pl.when(pl.col("failure_case").is_null()).then(None).otherwise(pl.lit(WITHHELD)))
        .otherwise(pl.col("failure_case"))
        .alias("raw_value"),
        pl.when(pl.col("column").is_in(sorted(required)))
        .then(pl.lit(ROW_REJECTED))
        .otherwise(pl.lit(VALUE_REMOVED))
        .alias("action"),
    ).select(list(ISSUE_SCHEMA))

    rejected = issues.filter(pl.col("action") == ROW_REJECTED).get_column(ROW_NUMBER).unique().sort()
    removed = issues.filter(pl.col("action") == VALUE_REMOVED).select(ROW_NUMBER, "column")
    kept = frame.filter(~pl.col(ROW_NUMBER).is_in(rejected.implode()))
    kept = _remove_values(kept, removed)
    duplicates = _duplicate_keys(kept, contract, seen or SeenKeys())
    if duplicates.height:
        issues = pl.concat([issues, duplicates])
        rejected = pl.concat([rejected, duplicates.get_column(ROW_NUMBER)]).unique().sort()
        kept = kept.filter(~pl.col(ROW_NUMBER).is_in(duplicates.get_column(ROW_NUMBER).implode()))
    valid = kept.select(ROW_NUMBER, *[_typed(c) for c in present])
    return ValidationResult(valid=valid, issues=issues.sort(ROW_NUMBER), rejected_row_numbers=rejected)


def _standardise(frame: pl.DataFrame, columns: list[ColumnSpec]) -> pl.DataFrame:
    """Trim cells and translate partner code variants (case-insensitively) to the contract's codes."""
    exprs = []
    for column in columns:
        expr = pl.col(column.name).str.strip_chars()
        codes = allowed_codes(column)
        if codes is not None:
            translation = {k.lower(): v for k, v in column.code_map.items()}
            translation.update({c.lower(): c for c in codes})
            if column.list_separator:
                expr = (
                    expr.str.split(column.list_separator)
                    .list.eval(pl.element().str.strip_chars().str.to_lowercase().replace(translation))
                    .list.join(column.list_separator)
                )
            else:
                lowered = expr.str.to_lowercase()
                expr = lowered.replace_strict(translation, default=expr, return_dtype=pl.String)
        exprs.append(expr.alias(column.name))
    return frame.with_columns(exprs)


def _column_schema(column: ColumnSpec, rules: dict[str, _Rule]) -> pa.Column:
    checks: list[pa.Check] = []

    def add(rule: str, message: str, expr: pl.Expr) -> None:
        check_id = f"{column.name}:{rule}"
        rules[check_id] = _Rule(column, rule, message)
        name = column.name

        def run(data: pa.PolarsData, _expr: pl.Expr = expr) -> pl.LazyFrame:
            return data.lazyframe.select(pl.col(name).is_null() | _expr.fill_null(False))

        checks.append(pa.Check(run, error=check_id))

    col = pl.col(column.name)
    if column.type == "integer":
        add("integer", "'{value}' is not a whole number", col.cast(pl.Int64, strict=False).is_not_null())
    elif column.type == "decimal":
        add("decimal", "'{value}' is not a number", col.cast(pl.Float64, strict=False).is_not_null())
    elif column.type == "date":
        add("date", f"'{{value}}' is not a date in the agreed format ({_describe_formats(column)})", _parse_date(column).is_not_null())
    elif column.type == "time":
        add("time", f"'{{value}}' is not a time in the agreed format ({', '.join(column.time_formats)})", _parse_time(column).is_not_null())
    elif column.type == "boolean":
        accepted = [v.lower() for v in (*column.true_values, *column.false_values)]
        add("boolean", f"'{{value}}' is not a yes/no value (accepted: {', '.join(column.true_values + column.false_values)})",
            col.str.to_lowercase().is_in(accepted))
    codes = allowed_codes(column)
    if codes is not None:
        shown = ", ".join(codes[:12]) + (" ..." if len(codes) > 12 else "")
        if column.list_separator:
            element_ok = col.str.split(column.list_separator).list.eval(pl.element().is_in(list(codes))).list.all()
            add("code", f"'{{value}}' contains a code that is not accepted (accepted: {shown})", element_ok)
        else:
            add("code", f"'{{value}}' is not an accepted code (accepted: {shown})", col.is_in(list(codes)))
    if column.pattern:
        add("pattern", f"'{{value}}' does not have the expected form ({column.pattern})", col.str.contains(column.pattern))
    if column.check:
        rule_expr, message = identifier_check(column.check, col)
        add(column.check, message, rule_expr)
    if column.min is not None:
        add("minimum", f"'{{value}}' is below the minimum {column.min:g}", col.cast(pl.Float64, strict=False) >= column.min)
    if column.max is not None:
        add("maximum", f"'{{value}}' is above the maximum {column.max:g}", col.cast(pl.Float64, strict=False) <= column.max)
    return pa.Column(pl.String, nullable=not column.required, checks=checks, required=column.required)


def _failure_cases(schema: pa.DataFrameSchema, frame: pl.DataFrame) -> pl.DataFrame:
    empty = pl.DataFrame(schema={"failure_case": pl.String, "column": pl.String, "check": pl.String, "index": pl.UInt32})
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        return cases.select(
            pl.col("failure_case").cast(pl.String),
            pl.col("column").cast(pl.String),
            pl.col("check").cast(pl.String),
            pl.col("index").cast(pl.UInt32),
        ).filter(pl.col("index").is_not_null())
    return empty


def _remove_values(frame: pl.DataFrame, removed: pl.DataFrame) -> pl.DataFrame:
    for column in removed.get_column("column").unique().to_list():
        rows = removed.filter(pl.col("column") == column).get_column(ROW_NUMBER).implode()
        frame = frame.with_columns(
            pl.when(pl.col(ROW_NUMBER).is_in(rows)).then(None).otherwise(pl.col(column)).alias(column)
        )
    return frame


def _duplicate_keys(frame: pl.DataFrame, contract: FeedContract, seen: SeenKeys) -> pl.DataFrame:
    """Second and later copies of a record key within one delivery are rejected (the first is kept)."""
    keys = [k for k in contract.record_key if k in frame.columns]
    if not keys or frame.height == 0:
        return pl.DataFrame(schema=ISSUE_SCHEMA)
    repeated = frame.filter(seen.repeated(frame, keys))
    return repeated.select(
        pl.col(ROW_NUMBER),
        pl.lit(",".join(keys)).alias("column"),
        pl.lit("duplicate_record").alias("rule"),
        pl.lit(f"the same record ({', '.join(keys)}) appears earlier in this delivery; the first copy was kept").alias("message"),
        pl.lit(None, dtype=pl.String).alias("raw_value"),
        pl.lit(ROW_REJECTED).alias("action"),
    )


def _describe_formats(column: ColumnSpec) -> str:
    readable = [f.replace("%d", "dd").replace("%m", "mm").replace("%Y", "yyyy") for f in column.date_formats]
    return ", ".join(readable) + (" or an Excel date" if column.excel_serial else "")


def _parse_date(column: ColumnSpec) -> pl.Expr:
    col = pl.col(column.name)
    parsed = [col.str.strptime(pl.Date, f, strict=False) for f in column.date_formats]
    if column.excel_serial:
        serial = col.cast(pl.Int64, strict=False)
        parsed.append(
            pl.when(serial.is_between(*EXCEL_SERIAL_RANGE))
            .then(pl.lit(EXCEL_EPOCH) + pl.duration(days=serial))
            .otherwise(None)
        )
    return pl.coalesce(parsed)


def _parse_time(column: ColumnSpec) -> pl.Expr:
    col = pl.col(column.name)
    return pl.coalesce([col.str.strptime(pl.Time, f, strict=False) for f in column.time_formats])


def _typed(column: ColumnSpec) -> pl.Expr:
    """The contract type of a validated text column. Times travel as 'HH:MM' text (Delta has no time type)."""
    col = pl.col(column.name)
    match column.type:
        case "integer":
            return col.cast(pl.Int64).alias(column.name)
        case "decimal":
            return col.cast(pl.Float64).alias(column.name)
        case "date":
            return _parse_date(column).alias(column.name)
        case "time":
            return _parse_time(column).dt.strftime("%H:%M").alias(column.name)
        case "boolean":
            truthy = [v.lower() for v in column.true_values]
            return pl.when(col.is_null()).then(None).otherwise(col.str.to_lowercase().is_in(truthy)).alias(column.name)
        case _:
            return col.alias(column.name)


POLARS_TYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "integer": pl.Int64(),
    "decimal": pl.Float64(),
    "date": pl.Date(),
    "time": pl.String(),
    "boolean": pl.Boolean(),
}


def typed_empty_frame(contract: FeedContract) -> pl.DataFrame:
    """An empty frame with the schema `validate` gives valid rows of `contract` (every column present)."""
    return pl.DataFrame(schema={ROW_NUMBER: pl.Int64(), **{c.name: POLARS_TYPES[c.type] for c in contract.columns}})
