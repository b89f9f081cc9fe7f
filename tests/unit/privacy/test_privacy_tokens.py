"""Keyed tokens: byte-for-byte equality of the vectorised HMAC with the standard library, alignment, nulls, separation."""

from __future__ import annotations

import hashlib
import hmac
import logging
import random

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privacy.identifiers import make_valid_nhs_number
from privacy.keys import LINKAGE, PseudonymisationKey, derive_key, release_key
from privacy.tokens import MOSTLY_UNIQUE, TOKEN_HEX_CHARS, hmac_tokens, token_for, tokenise


def python_hmac_token(key: bytes, kind: str, value: str) -> str:
    """The documented token definition, computed with the standard library only."""
    return hmac.new(key, kind.encode() + b"\x00" + value.encode(), hashlib.sha256).hexdigest()[
        :TOKEN_HEX_CHARS
    ]


@settings(max_examples=60, deadline=None)
@given(
    key=st.binary(min_size=32, max_size=100),  # > 64 bytes exercises RFC 2104's hash-the-long-key rule
    kind=st.sampled_from(["nhs_number", "upn", "dob", "person_id"]),
    values=st.lists(
        st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40),
        min_size=1,
        max_size=25,
        unique=True,
    ),
)
def test_hmac_tokens_equal_stdlib_hmac_byte_for_byte(key: bytes, kind: str, values: list[str]) -> None:
    result = hmac_tokens(pl.Series(values), kind, key)
    got = dict(zip(result["value"].to_list(), result["token"].to_list(), strict=True))
    assert got == {v: python_hmac_token(key, kind, v) for v in values}


def test_regression_token_definition_is_pinned() -> None:
    # If this changes, every token already in the lake stops linking with new deliveries.
    key = bytes(range(32))
    assert token_for("9434765919", "nhs_number", key) == python_hmac_token(key, "nhs_number", "9434765919")
    assert token_for("9434765919", "nhs_number", key) == "135ac82cb3618c3780fbf284b934127b"


def test_tokenise_rows_stay_aligned_with_duplicates_and_nulls(key: PseudonymisationKey) -> None:
    rng = random.Random(3)
    pool = [make_valid_nhs_number(rng) for _ in range(50)]
    raw = [rng.choice([*pool, None]) for _ in range(2_000)]
    # Formatting noise must not change the token.
    noisy = [None if v is None else rng.choice([v, f"{v[:3]} {v[3:6]} {v[6:]}", f" {v}-"]) for v in raw]
    out = tokenise(pl.DataFrame({"nhs": noisy, "row": range(len(noisy))}), {"nhs": "nhs_number"}, key)
    linkage_key = derive_key(key, LINKAGE)
    expected = [None if v is None else python_hmac_token(linkage_key, "nhs_number", v) for v in raw]
    assert out["nhs_token"].to_list() == expected
    assert out["row"].to_list() == list(range(len(noisy)))


def test_mostly_unique_columns_get_the_same_tokens_as_repeating_ones(key: PseudonymisationKey) -> None:
    # Nearly-distinct columns are tokenised row by row, repeating ones per distinct value: same tokens either way.
    rng = random.Random(4)
    unique = list(dict.fromkeys(make_valid_nhs_number(rng) for _ in range(1_000)))
    column = [*unique, None, "not a number", f" {unique[0]} "]
    assert len(set(column)) > MOSTLY_UNIQUE * len(column)
    row_by_row = tokenise(pl.DataFrame({"nhs": column}), {"nhs": "nhs_number"}, key)["nhs_token"].to_list()
    repeated = tokenise(pl.DataFrame({"nhs": column * 5}), {"nhs": "nhs_number"}, key)["nhs_token"].to_list()
    linkage_key = derive_key(key, LINKAGE)
    expected = [python_hmac_token(linkage_key, "nhs_number", v) for v in unique] + [None, None]
    expected.append(expected[0])
    assert row_by_row == expected
    assert repeated == expected * 5


def test_tokens_never_contain_the_cleartext(key: PseudonymisationKey) -> None:
    values = ["9434765919", "4010232137"]
    out = tokenise(pl.DataFrame({"nhs": values}), {"nhs": "nhs_number"}, key)
    assert out.columns == ["nhs_token"]
    for token, value in zip(out["nhs_token"].to_list(), values, strict=True):
        assert value not in token and len(token) == TOKEN_HEX_CHARS
        assert set(token) <= set("0123456789abcdef")


def test_kind_is_mixed_into_the_token(key: PseudonymisationKey) -> None:
    df = pl.DataFrame({"a": ["X123456"], "b": ["X123456"]})
    out = tokenise(df, {"a": "crn", "b": "case_ref"}, key)
    assert out["a_token"][0] != out["b_token"][0]


def test_tokens_depend_on_the_key(key: PseudonymisationKey, other_key: PseudonymisationKey) -> None:
    df = pl.DataFrame({"nhs": ["9434765919"]})
    tokens = {
        tokenise(df, {"nhs": "nhs_number"}, key)["nhs_token"][0],
        tokenise(df, {"nhs": "nhs_number"}, other_key)["nhs_token"][0],
        tokenise(df, {"nhs": "nhs_number"}, release_key(key, "r1"))["nhs_token"][0],
        tokenise(df, {"nhs": "nhs_number"}, release_key(key, "r2"))["nhs_token"][0],
    }
    assert len(tokens) == 4
    assert tokenise(df, {"nhs": "nhs_number"}, key)["nhs_token"][0] == token_for(
        "9434765919", "nhs_number", key
    )


def test_missing_and_blank_values_get_null_tokens_never_a_shared_token(key: PseudonymisationKey) -> None:
    df = pl.DataFrame({"crn": [None, "", "   ", "X1"], "pid": [None, "", " ", "p1"]})
    out = tokenise(df, {"crn": "crn", "pid": "person_id"}, key)
    assert out["crn_token"].to_list()[:3] == [None, None, None]
    assert out["pid_token"].to_list()[:3] == [None, None, None]
    assert out["crn_token"][3] is not None and out["pid_token"][3] is not None


def test_invalid_identifiers_get_null_tokens_unless_asked(key: PseudonymisationKey) -> None:
    df = pl.DataFrame({"nhs": ["9434765919", "9434765918"], "upn": ["B801200005001", "A801200005001"]})
    strict = tokenise(df, {"nhs": "nhs_number", "upn": "upn"}, key)
    assert strict["nhs_token"].null_count() == 1 and strict["nhs_token"][1] is None
    assert strict["upn_token"][1] is None
    lenient = tokenise(df, {"nhs": "nhs_number", "upn": "upn"}, key, null_invalid=False)
    assert lenient["nhs_token"].null_count() == 0 and lenient["upn_token"].null_count() == 0


def test_drop_source_false_keeps_cleartext_for_later_steps(key: PseudonymisationKey) -> None:
    df = pl.DataFrame({"nhs": ["9434765919"], "other": [1]})
    assert tokenise(df, {"nhs": "nhs_number"}, key).columns == ["other", "nhs_token"]
    assert tokenise(df, {"nhs": "nhs_number"}, key, drop_source=False).columns == [
        "nhs",
        "other",
        "nhs_token",
    ]


def test_all_null_and_empty_frames(key: PseudonymisationKey) -> None:
    df = pl.DataFrame({"nhs": [None, None]}, schema={"nhs": pl.String})
    assert tokenise(df, {"nhs": "nhs_number"}, key)["nhs_token"].to_list() == [None, None]
    empty = pl.DataFrame({"nhs": []}, schema={"nhs": pl.String})
    assert tokenise(empty, {"nhs": "nhs_number"}, key).height == 0


@pytest.mark.parametrize("kind", ["NHS", "nhs number", "", "1abc", "nhs\x00", "nhs\n"])
def test_kinds_must_be_lower_snake_case(key: PseudonymisationKey, kind: str) -> None:
    with pytest.raises(ValueError, match="kind"):
        tokenise(pl.DataFrame({"x": ["1"]}), {"x": kind}, key)


def test_short_raw_keys_are_refused() -> None:
    with pytest.raises(TypeError):
        tokenise(pl.DataFrame({"x": ["1"]}), {"x": "crn"}, b"short")


def test_tokenising_logs_no_key_material(key: PseudonymisationKey, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        tokenise(pl.DataFrame({"nhs": ["9434765919"]}), {"nhs": "nhs_number"}, key)
    derived = derive_key(key, LINKAGE)
    for secret in (key._reveal().hex(), derived.hex(), "9434765919"):
        assert secret not in caplog.text
