"""Identifier noise, unit by unit: typos are single edits, variants are plausible, zero rates mean no noise."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from synth.area import build_area
from synth.config import NoiseConfig, SynthConfig
from synth.ids import IdentifierAllocator
from synth.noise import choose_defects, identity_variant, record_postcodes, typo
from synth.people import make_people, ymd

ALL_NOISE = NoiseConfig(
    typo_rate=1.0,
    nickname_rate=1.0,
    accent_strip_rate=1.0,
    middle_name_rate=1.0,
    single_surname_part_rate=1.0,
    name_swap_rate=0.0,
    dob_swap_rate=1.0,
)
NO_NOISE = NoiseConfig(
    typo_rate=0,
    nickname_rate=0,
    accent_strip_rate=0,
    middle_name_rate=0,
    single_surname_part_rate=0,
    name_swap_rate=0,
    dob_swap_rate=0,
    postcode_blank_rate=0,
    postcode_format_rate=0,
    stale_postcode_rate=0,
)


def damerau_levenshtein(a: str, b: str) -> int:
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


@given(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=20),
    st.integers(0, 3),
    st.floats(0, 0.999),
)
def test_a_typo_is_one_keying_error_that_keeps_the_first_letter(name: str, kind: int, where: float) -> None:
    result = typo(name, kind, where)
    assert damerau_levenshtein(name, result) <= 1
    assert result[0] == name[0]


@pytest.fixture(scope="module")
def people():  # type: ignore[no-untyped-def]
    config = SynthConfig(people=3_000, seed=2)
    area = build_area(config.people, config.seed)
    return make_people(config, area, IdentifierAllocator(), np.random.default_rng(1), 0, 3_000)


def test_zero_rates_leave_identity_untouched(people) -> None:  # type: ignore[no-untyped-def]
    who = np.arange(people.n)
    ident = identity_variant(people, who, "police", NO_NOISE, np.random.default_rng(0))
    assert list(ident.forenames) == list(people.forename)
    assert list(ident.surname) == list(people.surname)
    assert np.array_equal(ident.dob, people.dob)


def test_full_noise_produces_every_kind(people) -> None:  # type: ignore[no-untyped-def]
    who = np.arange(people.n)
    ident = identity_variant(people, who, "police", ALL_NOISE, np.random.default_rng(0))
    assert ident.typo.mean() > 0.5
    assert ident.nickname.any()
    assert any(" " in f for f in ident.forenames)  # middle names added
    _, m, d = ymd(people.dob)
    _, m2, d2 = ymd(ident.dob)
    swapped = ident.dob_swapped
    assert swapped.any()
    assert np.array_equal(d2[swapped], m[swapped]) and np.array_equal(m2[swapped], d[swapped])
    assert not swapped[d > 12].any()  # an impossible date is never produced
    barrelled = np.array(["-" in s for s in people.surname])
    assert barrelled.any()
    assert not any("-" in s for s in ident.surname[barrelled])


def test_schools_keep_legal_names(people) -> None:  # type: ignore[no-untyped-def]
    ident = identity_variant(
        people, np.arange(people.n), "education", NoiseConfig(), np.random.default_rng(0)
    )
    assert not ident.nickname.any()
    assert (np.array(list(ident.forenames)) == people.forename).mean() > 0.98


def test_name_swap_swaps(people) -> None:  # type: ignore[no-untyped-def]
    noise = NoiseConfig(
        typo_rate=0,
        nickname_rate=0,
        accent_strip_rate=0,
        middle_name_rate=0,
        single_surname_part_rate=0,
        name_swap_rate=1.0,
        dob_swap_rate=0,
    )
    ident = identity_variant(people, np.arange(people.n), "police", noise, np.random.default_rng(0))
    assert list(ident.forenames) == list(people.surname)
    assert list(ident.surname) == list(people.forename)


def test_postcodes_blank_stale_and_reformatted(people) -> None:  # type: ignore[no-untyped-def]
    area = build_area(3_000, 2)
    who = np.arange(people.n)
    late = np.full(people.n, 10**6 - 1)  # after everyone's move
    current = record_postcodes(people, who, late, area.postcode, NO_NOISE, np.random.default_rng(0))
    assert list(current) == list(area.postcode[people.pc1])
    stale = record_postcodes(
        people,
        who,
        late,
        area.postcode,
        NoiseConfig(stale_postcode_rate=1.0, postcode_blank_rate=0, postcode_format_rate=0),
        np.random.default_rng(0),
    )
    assert list(stale) == list(area.postcode[people.pc0])
    blank = record_postcodes(
        people, who, late, area.postcode, NoiseConfig(postcode_blank_rate=1.0), np.random.default_rng(0)
    )
    assert all(v is None for v in blank)
    styled = record_postcodes(
        people,
        who,
        late,
        area.postcode,
        NoiseConfig(postcode_format_rate=1.0, postcode_blank_rate=0, stale_postcode_rate=0),
        np.random.default_rng(0),
    )
    assert all(
        v.replace(" ", "").upper() == p.replace(" ", "") for v, p in zip(styled, area.postcode[people.pc1])
    )
    assert any(" " not in v for v in styled) and any(v != v.upper() for v in styled)


def test_defects_follow_the_rate_and_can_be_switched_off() -> None:
    rng = np.random.default_rng(0)
    kinds = ("missing:a", "bad_date:b")
    defects = choose_defects(100_000, kinds, 0.005, rng)
    share = np.mean([d is not None for d in defects])
    assert share == pytest.approx(0.005, abs=0.001)
    assert {d for d in defects if d} == set(kinds)
    assert all(d is None for d in choose_defects(1_000, kinds, 0.0, rng))


def test_area_is_consistent_at_scale() -> None:
    area = build_area(600_000, 1)
    assert area.n_lsoa == 400
    assert len(set(area.postcode)) == area.postcode.size
    assert len(set(area.school_name)) == area.school_name.size
    assert len(set(area.school_urn)) == area.school_urn.size
    counts = np.bincount(area.postcode_lsoa, minlength=area.n_lsoa)
    assert (counts >= 8).all()
    assert sorted(set(area.lsoa_decile.tolist())) == list(range(1, 11))
