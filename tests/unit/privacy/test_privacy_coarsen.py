"""Postcode -> LSOA coarsening and age calculation."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privacy.coarsen import age_at, postcode_to_lsoa

LOOKUP = pl.DataFrame(
    {"postcode": ["SW1A 1AA", "M1  1AE", "b338th"], "lsoa_code": ["E01004736", "E01005070", "E01009310"]}
)


def test_postcodes_join_on_the_normalised_form_and_unknowns_are_counted() -> None:
    df = pl.DataFrame(
        {"id": [1, 2, 3, 4, 5, 6], "postcode": ["sw1a1aa", "M1 1AE", "ZZ9 9ZZ", None, "", "B33 8TH"]}
    )
    result = postcode_to_lsoa(df, "postcode", LOOKUP)
    assert result.frame.columns == ["id", "lsoa_code"]
    assert result.frame["id"].to_list() == [1, 2, 3, 4, 5, 6]
    assert result.frame["lsoa_code"].to_list() == ["E01004736", "E01005070", None, None, None, "E01009310"]
    assert (result.matched, result.unmatched, result.missing) == (3, 1, 2)


def test_source_postcode_can_be_kept_and_output_renamed() -> None:
    df = pl.DataFrame({"home": ["SW1A 1AA"]})
    result = postcode_to_lsoa(df, "home", LOOKUP, output="home_lsoa", drop_source=False)
    assert result.frame.columns == ["home", "home_lsoa"]


def test_ambiguous_lookup_is_refused() -> None:
    bad = pl.DataFrame({"postcode": ["SW1A 1AA", "sw1a1aa"], "lsoa_code": ["E01004736", "E01000001"]})
    with pytest.raises(ValueError, match="more than one LSOA"):
        postcode_to_lsoa(pl.DataFrame({"postcode": ["SW1A 1AA"]}), "postcode", bad)


def test_duplicate_identical_lookup_rows_do_not_duplicate_records() -> None:
    dup = pl.concat([LOOKUP, LOOKUP])
    assert postcode_to_lsoa(pl.DataFrame({"postcode": ["SW1A 1AA"]}), "postcode", dup).frame.height == 1


def test_lookup_must_have_the_expected_columns() -> None:
    with pytest.raises(ValueError, match="lsoa_code"):
        postcode_to_lsoa(pl.DataFrame({"postcode": ["x"]}), "postcode", pl.DataFrame({"postcode": ["x"]}))


def ages(pairs: list[tuple[dt.date | None, dt.date | None]]) -> list[int | None]:
    df = pl.DataFrame(
        {"dob": [p[0] for p in pairs], "at": [p[1] for p in pairs]}, schema={"dob": pl.Date, "at": pl.Date}
    )
    return df.select(age_at(pl.col("dob"), pl.col("at"))).to_series().to_list()


def test_age_at_known_cases() -> None:
    d = dt.date
    assert ages(
        [
            (d(2008, 6, 15), d(2024, 6, 14)),
            (d(2008, 6, 15), d(2024, 6, 15)),
            (d(2008, 2, 29), d(2025, 2, 28)),  # leap-day birthday in a common year: not yet 17
            (d(2008, 2, 29), d(2025, 3, 1)),
            (d(2008, 2, 29), d(2024, 2, 29)),
            (d(2008, 6, 15), d(2008, 6, 14)),  # event before birth: no age
            (None, d(2024, 1, 1)),
        ]
    ) == [15, 16, 16, 17, 16, None, None]


@settings(max_examples=200, deadline=None)
@given(
    st.dates(dt.date(1900, 1, 1), dt.date(2030, 12, 31)), st.dates(dt.date(1900, 1, 1), dt.date(2030, 12, 31))
)
def test_age_at_matches_reference(birth: dt.date, event: dt.date) -> None:
    expected = None
    if event >= birth:
        expected = event.year - birth.year - ((event.month, event.day) < (birth.month, birth.day))
    assert ages([(birth, event)]) == [expected]
