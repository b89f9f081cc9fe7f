"""Cohort pseudonymisation: the same encodings as ingestion, deterministic per key, different across keys."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from linkage.cohort import CohortFileError, pseudonymise_cohort, read_cohort
from linkage.records import IDENTIFIER_TOKENS, NAME_BLOOMS, NAME_TOKENS
from privacy.keys import PseudonymisationKey
from tests.ingestion_helpers import NOMINALS_HEADER, POSTCODES, TEST_KEY, make_lake

KEY_A = PseudonymisationKey(bytes(range(32)), source="test-a")
KEY_B = PseudonymisationKey(bytes(range(1, 33)), source="test-b")
COHORT = """record_id,source,forenames,surname,date_of_birth,sex,postcode,nhs_number,pnc_id
c1,navigator,John,Smith,2005-02-01,M,LS1 4AP,9434765919,2001/0171310W
c2,navigator,Mary-Ann,O'Brien,1999-12-31,Female,ls27ew,,
"""
ENCODED = (*NAME_TOKENS, *NAME_BLOOMS, "nhs_number_token", "pnc_id_token", "dob_token", "dob_swapped_token",
           "dob_year_month_token", "dob_month_day_token", "postcode_token", "record_key")


def write(tmp_path: Path, text: str, name: str = "cohort.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def encode(
    tmp_path: Path, key: PseudonymisationKey, text: str = COHORT, lookup: pl.DataFrame | None = None
) -> pl.DataFrame:
    return pseudonymise_cohort(read_cohort(write(tmp_path, text)), key, lookup).records


def test_encodings_are_deterministic_for_one_key(tmp_path: Path) -> None:
    first, second = encode(tmp_path, KEY_A), encode(tmp_path, KEY_A)
    assert first.select(ENCODED).equals(second.select(ENCODED))
    assert first.get_column("surname_token").null_count() == 0


def test_encodings_differ_across_keys(tmp_path: Path) -> None:
    a, b = encode(tmp_path, KEY_A), encode(tmp_path, KEY_B)
    for column in ENCODED:
        left, right = a.get_column(column).to_list(), b.get_column(column).to_list()
        for x, y in zip(left, right, strict=True):
            if x is not None:
                assert x != y, column


def test_the_records_hold_no_cleartext(tmp_path: Path) -> None:
    records = encode(tmp_path, KEY_A)
    text = str(records.to_dicts()).upper()
    for value in ("SMITH", "JOHN", "OBRIEN", "9434765919", "2005-02-01", "LS1 4AP", "2001/0171310W"):
        assert value not in text
    assert "forenames" not in records.columns and "date_of_birth" not in records.columns


def test_cohort_encodings_equal_what_ingestion_wrote_to_bronze(tmp_path: Path) -> None:
    """Same person, same key: the cohort path and the police feed's bronze rows carry identical encodings."""
    lake = make_lake(tmp_path / "home")
    row = "43/123456/26,N1,Victim,Smith,John,01/02/2005,M,LS1 4AP,2001/0171310W,N"
    lake.ingest("police", "police_nominals_2026-10.csv", f"{NOMINALS_HEADER}\n{row}\n")
    bronze = lake.bronze("police_nominals")
    cohort = encode(tmp_path, TEST_KEY, lookup=POSTCODES)
    compared = (*NAME_TOKENS, *NAME_BLOOMS, "pnc_id_token", "dob_token", "dob_year_month_token", "postcode_token",
                "postcode_lsoa")
    assert bronze.select(compared).row(0) == cohort.select(compared).row(0)


def test_optional_identifiers_may_be_any_subset(tmp_path: Path) -> None:
    text = "record_id,source,forenames,surname,date_of_birth,sex,postcode,crn,other_id\nx,s,Ann,Lee,2001-01-01,F,,X123456,A9\n"
    records = encode(tmp_path, KEY_A, text)
    assert records.get_column("crn_token").null_count() == 0
    assert records.get_column("other_id_token").null_count() == 0
    assert set(IDENTIFIER_TOKENS) <= set(records.columns)
    assert records.get_column("nhs_number_token").null_count() == 1


def test_bad_values_are_reported_without_the_value(tmp_path: Path) -> None:
    text = COHORT + "c3,navigator,Ann,Lee,31/02/2001,Q,,1234567890,\n"
    result = pseudonymise_cohort(read_cohort(write(tmp_path, text)), KEY_A)
    assert result.records.height == 3 and result.values_removed == 3
    problems = "\n".join(result.problems)
    assert "line 4, date_of_birth" in problems and "line 4, nhs_number" in problems
    assert "1234567890" not in problems and "31/02/2001" not in problems


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("record_id,forenames\n1,Ann\n", "lacks the column(s) source, surname, date_of_birth, sex, postcode"),
        ("record_id,source,forenames,surname,date_of_birth,sex,postcode\n", "no rows"),
        ("record_id,source,forenames,surname,date_of_birth,sex,postcode\n1,a,A,B,,,\n1,a,C,D,,,\n", "unique"),
    ],
)
def test_a_bad_file_gets_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(CohortFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        pseudonymise_cohort(read_cohort(write(tmp_path, text)), KEY_A)
