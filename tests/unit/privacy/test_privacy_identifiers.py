"""Check-digit validators (polars) against independent pure-Python references and published examples."""

from __future__ import annotations

import random
from collections.abc import Callable

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privacy.identifiers import (
    is_valid_lsoa_code,
    is_valid_nhs_number,
    is_valid_pnc_id,
    is_valid_postcode,
    is_valid_upn,
    make_valid_nhs_number,
    make_valid_pnc_id,
    make_valid_upn,
)

Validator = Callable[[pl.Expr], pl.Expr]
DIGITS = "0123456789"
UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
SEEDED_RNGS = st.integers(0, 2**32).map(random.Random)


def check(fn: Validator, values: list[str | None]) -> list[bool | None]:
    return pl.DataFrame({"v": values}, schema={"v": pl.String}).select(fn(pl.col("v"))).to_series().to_list()


def reference_nhs_valid(number: str) -> bool:
    """Straight from the NHS Data Dictionary description, written independently of the polars code."""
    if len(number) != 10 or not number.isdigit():
        return False
    remainder = sum(int(number[i]) * (10 - i) for i in range(9)) % 11
    check_digit = 11 - remainder
    if check_digit == 10:
        return False
    return (0 if check_digit == 11 else check_digit) == int(number[9])


def reference_upn_valid(upn: str) -> bool:
    if len(upn) != 13 or upn[0] not in UPN_LETTERS or not upn[1:12].isdigit():
        return False
    if not (upn[12].isdigit() or upn[12] in UPN_LETTERS):
        return False
    values = [int(c) if c.isdigit() else UPN_LETTERS.index(c) for c in upn[1:]]
    return UPN_LETTERS[sum(v * w for v, w in zip(values, range(2, 14), strict=True)) % 23] == upn[0]


# --- NHS number ---------------------------------------------------------------------------------------


def test_nhs_number_known_values() -> None:
    # 943 476 5919 is the NHS Data Dictionary's worked example; 401 023 2137 a common test-suite number.
    values = ["9434765919", "943 476 5919", "4010232137", "9434765918", "1234567890", "12345", "", None]
    assert check(is_valid_nhs_number, values) == [True, True, True, False, False, False, None, None]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=DIGITS, min_size=10, max_size=10))
def test_nhs_validator_matches_reference(number: str) -> None:
    assert check(is_valid_nhs_number, [number]) == [reference_nhs_valid(number)]


@settings(max_examples=200, deadline=None)
@given(SEEDED_RNGS, st.integers(0, 9), st.integers(1, 9))
def test_nhs_check_digit_catches_every_single_digit_error(
    rng: random.Random, position: int, delta: int
) -> None:
    number = make_valid_nhs_number(rng)
    digits = list(number)
    digits[position] = str((int(digits[position]) + delta) % 10)
    assert check(is_valid_nhs_number, [number, "".join(digits)]) == [True, False]


def test_synthetic_nhs_numbers_are_in_the_never_issued_test_range() -> None:
    rng = random.Random(7)
    numbers = [make_valid_nhs_number(rng) for _ in range(200)]
    assert all(n.startswith("999") and reference_nhs_valid(n) for n in numbers)
    assert len(set(numbers)) > 190


# --- UPN ----------------------------------------------------------------------------------------------


def test_upn_known_values() -> None:
    # Valid: python-stdnum's doc example and the DfE CIN validator's (rule 1510) test fixtures.
    valid = ["B801200005001", "b801 200005001", "A950000178301", "H243278544154", "X845212818005"]
    # Invalid: wrong check letters from the same sources, a letter inside the digits, too long, letter I.
    invalid = [
        "A801200005001",
        "R247962919251",
        "X428558133462",
        "X80120000A001",
        "B8012000050011",
        "I801200005001",
    ]
    assert check(is_valid_upn, [*valid, *invalid, None, " "]) == [True] * 5 + [False] * 6 + [None, None]


def test_regression_dfe_census_worked_example_has_an_arithmetic_slip() -> None:
    # The census error 1510 help text corrects B207000016049 to Q..., but its own products sum to 266, not
    # 267, and 266 mod 23 = 13 = P. The algorithm is followed, not the slip.
    assert check(is_valid_upn, ["P207000016049", "Q207000016049"]) == [True, False]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(UPN_LETTERS),
    st.text(alphabet=DIGITS, min_size=11, max_size=11),
    st.sampled_from(DIGITS + UPN_LETTERS),
)
def test_upn_validator_matches_reference(first: str, middle: str, last: str) -> None:
    upn = first + middle + last
    assert check(is_valid_upn, [upn]) == [reference_upn_valid(upn)]


@settings(max_examples=100, deadline=None)
@given(SEEDED_RNGS, st.integers(1, 12), st.integers(1, 9))
def test_upn_check_letter_catches_every_single_digit_error(
    rng: random.Random, position: int, delta: int
) -> None:
    upn = make_valid_upn(rng, 330)
    chars = list(upn)
    chars[position] = str((int(chars[position]) + delta) % 10)
    assert check(is_valid_upn, [upn, "".join(chars)]) == [True, False]


def test_temporary_upn_with_final_letter() -> None:
    body = "80120000500A"
    letter = UPN_LETTERS[sum((int(c) if c.isdigit() else 0) * w for c, w in zip(body, range(2, 14))) % 23]
    assert check(is_valid_upn, [letter + body]) == [True]


def test_make_valid_upn_encodes_the_la_code() -> None:
    upn = make_valid_upn(random.Random(1), 330, year=2019)
    assert upn[1:4] == "330" and upn[8:10] == "19" and reference_upn_valid(upn)


# --- PNC ID -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pnc",
    [
        "2003/0062845E",
        "2003/0011985X",
        "1979/0026538X",
        "2001/0171310W",
        "1981/0154257C",
        "2012/394773H",
        "01/171310W",
        "79/26538x",
        "20010171310W",
    ],
)
def test_pnc_ids_published_in_moj_test_data_are_valid(pnc: str) -> None:
    assert check(is_valid_pnc_id, [pnc]) == [True]


@pytest.mark.parametrize("pnc", ["2001/0171310X", "2003/0062845F", "2001/171310", "2001/12345678W", "W"])
def test_pnc_ids_with_wrong_check_letter_or_shape_are_invalid(pnc: str) -> None:
    assert check(is_valid_pnc_id, [pnc]) == [False]


@settings(max_examples=100, deadline=None)
@given(SEEDED_RNGS, st.integers(1970, 2030))
def test_generated_pnc_ids_are_valid_and_canonical(rng: random.Random, year: int) -> None:
    pnc = make_valid_pnc_id(rng, year)
    assert pnc.startswith(f"{year}/") and len(pnc) == 13
    wrong = pnc[:-1] + ("A" if pnc[-1] != "A" else "B")
    assert check(is_valid_pnc_id, [pnc, wrong, None]) == [True, False, None]


# --- postcode and LSOA -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "postcode",
    ["SW1A 1AA", "sw1a1aa", "EC1A 1BB", "W1A 0AX", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "GIR 0AA"],
)
def test_real_postcode_shapes_are_valid(postcode: str) -> None:
    assert check(is_valid_postcode, [postcode]) == [True]


@pytest.mark.parametrize("postcode", ["SW1A 1AI", "QW1 1AA", "1AA 1AA", "SW1A", "SW1A 1A", "XXXXXXX"])
def test_malformed_postcodes_are_invalid(postcode: str) -> None:
    assert check(is_valid_postcode, [postcode]) == [False]


def test_lsoa_codes() -> None:
    values = ["E01000001", "W01001234", " e01000001 ", "S01000001", "E0100001", "E02000001", None]
    assert check(is_valid_lsoa_code, values) == [True, True, True, False, False, False, None]
