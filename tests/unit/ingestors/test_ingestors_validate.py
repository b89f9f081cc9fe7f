"""Validation rules run once per distinct value, yet every failing row gets its own issue with the right action."""

from __future__ import annotations

import polars as pl

from ingestors.contract import load_contracts
from ingestors.validate import ROW_REJECTED, VALUE_REMOVED, WITHHELD, SeenKeys, validate


def nominals(rows: list[dict[str, str | None]]) -> pl.DataFrame:
    base = {"occurrence_ref": "43/123456/26", "role": "Victim", "surname": "Smith", "forenames": "Jo",
            "date_of_birth": "01/02/2005", "sex": "M", "postcode": "LS1 4AP", "pnc_id": None}
    frame = [{**base, "nominal_id": f"N{i}", **row} for i, row in enumerate(rows, start=1)]
    schema = dict.fromkeys(frame[0], pl.String)
    return pl.DataFrame(frame, schema=schema).with_row_index("_row_number", offset=1).with_columns(pl.col("_row_number").cast(pl.Int64))


def test_a_bad_value_repeated_on_several_rows_is_reported_on_each_row() -> None:
    frame = nominals([{"role": "Bystander"}, {}, {"role": "Bystander"}, {"role": "bystander"}, {"role": None}])
    result = validate(frame, load_contracts()["police_nominals"])
    issues = result.issues.select("_row_number", "column", "rule", "action", "raw_value").rows()
    assert issues == [
        (1, "role", "code", ROW_REJECTED, "Bystander"),
        (3, "role", "code", ROW_REJECTED, "Bystander"),
        (4, "role", "code", ROW_REJECTED, "bystander"),
        (5, "role", "required", ROW_REJECTED, None),
    ]
    assert result.rejected_row_numbers.to_list() == [1, 3, 4, 5]
    assert result.valid.get_column("_row_number").to_list() == [2]
    assert "'Bystander' is not an accepted code" in result.issues.get_column("message")[0]


def test_a_bad_optional_identifier_is_removed_and_its_value_withheld() -> None:
    frame = nominals([{"postcode": "NOT A POSTCODE"}, {}, {"postcode": "NOT A POSTCODE"}])
    result = validate(frame, load_contracts()["police_nominals"])
    assert result.issues.select("_row_number", "rule", "action", "raw_value").rows() == [
        (1, "postcode", VALUE_REMOVED, WITHHELD),
        (3, "postcode", VALUE_REMOVED, WITHHELD),
    ]
    assert not any("NOT A POSTCODE" in m for m in result.issues.get_column("message"))
    assert result.valid.height == 3
    assert result.valid.get_column("postcode").to_list() == [None, "LS1 4AP", None]


def test_seen_keys_flag_repeats_within_and_across_batches() -> None:
    seen = SeenKeys()
    batches = [["a", "b", "a"], ["c", "b", "d", "c"], ["a", "e", "d", "e"]]
    flags = [seen.repeated(pl.DataFrame({"key": keys}), ["key"]).to_list() for keys in batches]
    assert flags == [[False, False, True], [False, True, False, True], [True, False, True, True]]
    assert len(seen.hashes) == 5 and (seen.hashes[:-1] <= seen.hashes[1:]).all()
