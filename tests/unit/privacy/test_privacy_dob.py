"""Date-of-birth coarsening and component tokens."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privacy.dob import dob_columns, dob_tokens
from privacy.keys import PseudonymisationKey
from privacy.tokens import token_for


def tokens_for(dates: list[dt.date | None], key: PseudonymisationKey) -> pl.DataFrame:
    return dob_tokens(
        pl.DataFrame({"date_of_birth": dates}, schema={"date_of_birth": pl.Date}), "date_of_birth", key
    )


def test_columns_produced(key: PseudonymisationKey) -> None:
    out = tokens_for([dt.date(2001, 4, 3)], key)
    assert (
        out.columns
        == list(dob_columns().values())
        == [
            "dob_year_month",
            "dob_token",
            "dob_swapped_token",
            "dob_year_month_token",
            "dob_month_day_token",
        ]
    )
    assert out["dob_year_month"][0] == "2001-04"


def test_each_token_is_the_documented_keyed_token(key: PseudonymisationKey) -> None:
    row = tokens_for([dt.date(2001, 4, 3)], key).row(0, named=True)
    assert row["dob_token"] == token_for("2001-04-03", "dob", key)
    assert row["dob_swapped_token"] == token_for("2001-03-04", "dob", key)
    assert row["dob_year_month_token"] == token_for("2001-04", "dob_year_month", key)
    assert row["dob_month_day_token"] == token_for("04-03", "dob_month_day", key)
    assert "2001" not in "".join(v for k, v in row.items() if k.endswith("_token"))


def test_day_month_swap_is_detected_across_records(key: PseudonymisationKey) -> None:
    a, b = tokens_for([dt.date(2001, 4, 3), dt.date(2001, 3, 4)], key).iter_rows(named=True)
    assert a["dob_token"] != b["dob_token"]
    assert a["dob_swapped_token"] == b["dob_token"] and b["dob_swapped_token"] == a["dob_token"]


def test_wrong_year_is_caught_by_the_month_day_token(key: PseudonymisationKey) -> None:
    a, b = tokens_for([dt.date(2001, 4, 3), dt.date(2002, 4, 3)], key).iter_rows(named=True)
    assert a["dob_token"] != b["dob_token"] and a["dob_month_day_token"] == b["dob_month_day_token"]


@pytest.mark.parametrize("date", [dt.date(2001, 4, 13), dt.date(2001, 5, 5), dt.date(2001, 12, 31)])
def test_no_swapped_token_when_the_swap_is_impossible_or_identical(
    key: PseudonymisationKey, date: dt.date
) -> None:
    assert tokens_for([date], key)["dob_swapped_token"][0] is None


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.none(), st.dates(dt.date(1900, 1, 1), dt.date(2030, 12, 31))), max_size=20))
def test_tokens_match_the_reference_row_by_row(dates: list[dt.date | None]) -> None:
    key = PseudonymisationKey(bytes(range(32)), source="test")
    out = tokens_for(dates, key)
    for date, row in zip(dates, out.iter_rows(named=True), strict=True):
        if date is None:
            assert all(v is None for v in row.values())
            continue
        assert row["dob_token"] == token_for(date.isoformat(), "dob", key)
        swap_ok = date.day <= 12 and date.day != date.month
        expected_swap = (
            token_for(f"{date.year:04d}-{date.day:02d}-{date.month:02d}", "dob", key) if swap_ok else None
        )
        assert row["dob_swapped_token"] == expected_swap
        assert row["dob_year_month"] == date.isoformat()[:7]


def test_datetimes_are_accepted_and_strings_refused(key: PseudonymisationKey) -> None:
    df = pl.DataFrame({"dob": [dt.datetime(2001, 4, 3, 12, 0)]})
    assert dob_tokens(df, "dob", key)["dob_token"][0] == token_for("2001-04-03", "dob", key)
    with pytest.raises(TypeError, match="parse_date"):
        dob_tokens(pl.DataFrame({"dob": ["2001-04-03"]}), "dob", key)


def test_prefix_and_drop_source(key: PseudonymisationKey) -> None:
    df = pl.DataFrame({"birth": [dt.date(2001, 4, 3)], "id": [1]})
    out = dob_tokens(df, "birth", key, prefix="mother_dob", drop_source=False)
    assert out.columns == ["birth", "id", *dob_columns("mother_dob").values()]
