"""The generator's own check-digit code: known published examples, and generated values always valid."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from synth.checkdigits import (
    corrupt_nhs_number,
    corrupt_pnc_id,
    corrupt_upn,
    is_valid_nhs_number,
    is_valid_pnc_id,
    is_valid_upn,
    make_pnc_ids,
    make_upns,
    nhs_check_digit,
    nhs_check_digits,
    temporary_upn,
    upn_check_letter,
)
from synth.ids import IdentifierAllocator, UniqueIntDrawer


def test_nhs_number_known_examples() -> None:
    assert is_valid_nhs_number("9434765919")  # the NHS Data Dictionary's worked example
    assert not is_valid_nhs_number("9434765918")
    assert not is_valid_nhs_number("943476591")
    assert not is_valid_nhs_number("94347659AB")


@given(st.integers(min_value=0, max_value=999_999_999))
def test_nhs_check_digit_round_trips(body: int) -> None:
    first_nine = f"{body:09d}"
    check = nhs_check_digit(first_nine)
    if check is None:
        assert all(not is_valid_nhs_number(first_nine + str(d)) for d in range(10))
    else:
        assert is_valid_nhs_number(first_nine + str(check))
        assert not is_valid_nhs_number(corrupt_nhs_number(first_nine + str(check)))


def test_generated_nhs_numbers_are_valid_distinct_and_never_issued_ones() -> None:
    rng = np.random.default_rng(3)
    allocator = IdentifierAllocator(people=60_000)
    numbers = np.concatenate([allocator.nhs_numbers(rng, 20_000) for _ in range(3)])
    assert all(is_valid_nhs_number(n) for n in numbers)
    assert len(set(numbers)) == numbers.size
    # NHS England's test range: a synthetic number can never be a real patient's.
    assert all(n.startswith("999") for n in numbers)


def test_a_million_people_spill_only_into_unissued_9xx_ranges() -> None:
    allocator = IdentifierAllocator(people=1_000_000)
    numbers = allocator.nhs_numbers(np.random.default_rng(5), 50_000)
    assert all(n[0] == "9" and n[:3] >= "990" for n in numbers)
    assert all(is_valid_nhs_number(n) for n in numbers)


@given(st.integers(min_value=0, max_value=999_999_999))
def test_vectorised_check_digits_agree_with_the_scalar_rule(body: int) -> None:
    expected = nhs_check_digit(f"{body:09d}")
    assert nhs_check_digits(np.array([body]))[0] == (-1 if expected is None else expected)


def test_upn_known_examples() -> None:
    assert is_valid_upn("B801200005001")  # python-stdnum's documented valid UPN
    assert not is_valid_upn("A801200005001")
    assert upn_check_letter("801200005001") == "B"


def test_generated_upns_valid_and_corruption_detected() -> None:
    upns = make_upns(
        np.full(4, 880),
        np.array([2001, 2002, 4001, 1101]),
        np.array([2015, 2019, 2020, 2021]),
        np.array([0, 1, 500, 999]),
    )
    assert all(is_valid_upn(u, allow_temporary=False) for u in upns)
    assert all(not is_valid_upn(corrupt_upn(u)) for u in upns)
    assert [u[1:4] for u in upns] == ["880"] * 4


def test_temporary_upn_has_a_letter_last_and_a_valid_check() -> None:
    rng = np.random.default_rng(1)
    for _ in range(200):
        upn = temporary_upn(rng, 880, 2001, 2025)
        assert upn[-1].isalpha() and upn[-1] not in "IOS"
        assert is_valid_upn(upn)
        assert not is_valid_upn(upn, allow_temporary=False)


def test_pnc_known_examples() -> None:
    # Valid PNC IDs from the Ministry of Justice's published validator tests.
    for pnc in ("2001/0171310W", "2011/0275516Q", "2008/0056560Z", "2003/0062845E", "1981/0154257C"):
        assert is_valid_pnc_id(pnc)
    assert not is_valid_pnc_id("2001/0171310S")
    assert list(make_pnc_ids(np.array([2001, 2011]), np.array([171310, 275516]))) == [
        "2001/0171310W",
        "2011/0275516Q",
    ]


@given(st.integers(min_value=1950, max_value=2030), st.integers(min_value=0, max_value=9_999_999))
def test_pnc_round_trip(year: int, serial: int) -> None:
    pnc = make_pnc_ids(np.array([year]), np.array([serial]))[0]
    assert is_valid_pnc_id(pnc)
    assert not is_valid_pnc_id(corrupt_pnc_id(pnc))


def test_unique_drawer_never_repeats_and_is_deterministic() -> None:
    def draws(seed: int) -> np.ndarray:
        drawer = UniqueIntDrawer(5_000)
        rng = np.random.default_rng(seed)
        return np.concatenate([drawer.draw(rng, 600) for _ in range(4)])

    values = draws(9)
    assert len(set(values.tolist())) == values.size == 2_400
    assert values.min() >= 0 and values.max() < 5_000
    assert np.array_equal(values, draws(9))
    assert not np.array_equal(values, draws(10))
