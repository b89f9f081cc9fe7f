"""Rows are valid against their contract unless the truth says they carry a deliberate defect, and then they
are not; the invalid-row rate is the configured one.

The checks here are an independent, minimal reading of the contracts (required values, codes and code maps,
date and time formats, integer ranges, booleans, patterns, check digits, postcode and LSOA formats).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import polars as pl
from synth_helpers import landing_files, truth_of

from ingestors.contract import ColumnSpec, allowed_codes, load_contracts
from ingestors.detect import feed_from_name
from ingestors.readers import read_delivery
from synth.checkdigits import is_valid_nhs_number, is_valid_pnc_id, is_valid_upn
from synth.generate import SynthResult

POSTCODE = re.compile(
    r"^[A-PR-UWYZ]([0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPS-UW]|[A-HK-Y][0-9][ABEHMNPRV-Y])[0-9][ABD-HJLNP-UW-Z]{2}$"
)
LSOA = re.compile(r"^[EW]01\d{6}$")


def _parses(value: str, formats: tuple[str, ...], extra: tuple[str, ...] = ()) -> bool:
    for fmt in (*formats, *extra):
        try:
            dt.datetime.strptime(value, fmt)
            return True
        except ValueError:
            continue
    return False


def cell_ok(column: ColumnSpec, value: str | None, postcodes: set[str]) -> bool:
    if value is None:
        return not column.required
    if column.type == "date":
        # Workbook dates come back from the reader as ISO text.
        return _parses(value, column.date_formats, ("%Y-%m-%d",) if column.excel_serial else ())
    if column.type == "time":
        return _parses(value, column.time_formats)
    if column.type == "integer":
        if not re.fullmatch(r"-?\d+", value):
            return False
        number = int(value)
        return (column.min is None or number >= column.min) and (column.max is None or number <= column.max)
    if column.type == "boolean":
        return value.upper() in column.true_values + column.false_values
    codes = allowed_codes(column)
    if codes is not None:
        parts = value.split(column.list_separator) if column.list_separator else [value]
        if not all(column.code_map.get(p, p) in codes for p in parts if p):
            return False
    if column.pattern and not re.fullmatch(column.pattern, value):
        return False
    if column.check == "nhs_number":
        return is_valid_nhs_number(value)
    if column.check == "upn":
        return is_valid_upn(value)
    if column.check == "pnc_id":
        return is_valid_pnc_id(value)
    if column.check == "postcode":
        normalised = value.replace(" ", "").upper()
        return bool(POSTCODE.match(normalised)) and normalised in postcodes
    if column.check == "lsoa":
        return bool(LSOA.match(value))
    return True


def invalid_columns(result: SynthResult) -> pl.DataFrame:
    """feed, file, row_number, bad (the columns that fail), joined to the truth's defect."""
    contracts = load_contracts()
    postcodes = {
        p.replace(" ", "") for p in pl.read_csv(result.out / "reference" / "postcode_lsoa.csv")["postcode"]
    }
    out = []
    for path in landing_files(result):
        contract = feed_from_name(path.name, contracts).contract
        raw = read_delivery(path, path.name, [contract])
        columns = [(c, c.aliases[0]) for c in contract.columns]
        data = {header: raw.frame[header].to_list() for _, header in columns}
        for i, row_number in enumerate(raw.frame["_row_number"].to_list()):
            bad = [c.name for c, header in columns if not cell_ok(c, data[header][i], postcodes)]
            out.append((path.name, row_number, ",".join(bad)))
    found = pl.DataFrame(out, schema=["file", "row_number", "bad"], orient="row")
    return found.join(truth_of(result).select("file", "row_number", "defect"), on=["file", "row_number"])


def _check(result: SynthResult) -> pl.DataFrame:
    checked = invalid_columns(result)
    wrongly_invalid = checked.filter(pl.col("defect").is_null() & (pl.col("bad") != ""))
    assert wrongly_invalid.height == 0, wrongly_invalid.head(10)
    defective = checked.filter(pl.col("defect").is_not_null())
    missed = defective.filter(pl.col("bad") == "")
    assert missed.height == 0, missed.head(10)
    # The failing column is the one the defect targets.
    targeted = defective.with_columns(pl.col("defect").str.split(":").list.last().alias("target"))
    assert all(t in b.split(",") for t, b in zip(targeted["target"], targeted["bad"], strict=True))
    return checked


def test_rows_are_valid_unless_they_carry_a_defect(medium_run: SynthResult) -> None:
    checked = _check(medium_run)
    assert checked.height > 5_000


def test_every_defect_kind_is_rejected_and_the_rate_is_honoured(defective_run: SynthResult) -> None:
    checked = _check(defective_run)
    kinds = set(checked["defect"].drop_nulls().str.split(":").list.first().to_list())
    assert kinds == {"missing", "unknown_code", "bad_date", "bad_check"}
    n = checked.height
    share = checked["defect"].is_not_null().sum() / n
    assert abs(share - 0.05) < 4 * math.sqrt(0.05 * 0.95 / n)


def test_default_invalid_rate_is_about_half_a_percent(medium_run: SynthResult) -> None:
    truth = truth_of(medium_run)
    share = truth["defect"].is_not_null().sum() / truth.height
    assert abs(share - 0.005) < 4 * math.sqrt(0.005 * 0.995 / truth.height)
    assert medium_run.manifest["noise"]["realised"]["invalid_rows"] == truth["defect"].is_not_null().sum()


def test_a_zero_invalid_rate_gives_only_valid_rows(clean_run: SynthResult) -> None:
    checked = invalid_columns(clean_run)
    assert checked["defect"].null_count() == checked.height
    assert (checked["bad"] == "").all()


def test_reference_lookup_covers_every_postcode_and_lsoa(small_run: SynthResult) -> None:
    areas = pl.read_csv(small_run.out / "reference" / "areas.csv")
    lookup = pl.read_csv(small_run.out / "reference" / "postcode_lsoa.csv")
    assert set(lookup["lsoa_code"]) == set(areas["lsoa_code"])
    assert lookup["postcode"].is_unique().all()
    assert all(POSTCODE.match(p.replace(" ", "")) for p in lookup["postcode"])
    assert all(LSOA.match(c) for c in areas["lsoa_code"])
    assert all(re.fullmatch(r"E0[68]\d{6}", c) for c in areas["la_code"])
    assert all(re.fullmatch(r"E05\d{6}", c) for c in areas["ward_code"])
    assert set(areas["deprivation_decile"]) <= set(range(1, 11))
    assert areas.height == round(2_000 / 1_500) or areas.height >= 2
    population = pl.read_csv(small_run.out / "reference" / "population.csv")
    assert set(population["age_band"]) == {"0-9", "10-14", "15-17", "18-24", "25-34", "35-49", "50-64", "65+"}
    assert set(population["sex"]) == {"M", "F"}


def test_area_scales_with_population(medium_run: SynthResult) -> None:
    areas = pl.read_csv(Path(medium_run.out) / "reference" / "areas.csv")
    assert areas.height == 8  # 12,000 residents / ~1,500 per LSOA
    assert areas["la_code"].n_unique() == 2


def test_the_ingestion_validator_flags_exactly_the_defective_rows(medium_run: SynthResult) -> None:
    """End to end with ingestion's own reader and validator: clean rows raise no issue, every defect does."""
    from ingestors.detect import map_headers
    from ingestors.readers import ROW_NUMBER
    from ingestors.validate import validate

    contracts = load_contracts()
    truth = truth_of(medium_run)
    flagged = 0
    for path in landing_files(medium_run):
        contract = feed_from_name(path.name, contracts).contract
        raw = read_delivery(path, path.name, [contract])
        header_map, _ = map_headers(raw.headers, contract)
        result = validate(raw.frame.rename(header_map).select(ROW_NUMBER, *header_map.values()), contract)
        with_issue = set(result.issues[ROW_NUMBER].to_list())
        rows = truth.filter(pl.col("file") == path.name)
        defective = set(rows.filter(pl.col("defect").is_not_null())["row_number"].to_list())
        assert with_issue == defective, path.name
        flagged += len(defective)
    assert flagged > 0
