"""Model settings: comparisons follow the data, SQL similarity matches the Python reference, m floors."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from linkage.model import (
    DOB_FAR_LABEL,
    SWAP_LABEL,
    bloom_field,
    comparisons,
    dice_sql,
    model_columns,
    overlap_similarity_sql,
    settings_dict,
    splink_frame,
)
from linkage.train import M_FLOOR, RARE_ERROR_M_FLOORS, U_FLOOR, count_swap_once, floor_probabilities
from privacy.bloom import WORD_FIELDS, bloom_encode, bloom_encode_value, dice
from privacy.keys import PseudonymisationKey

KEY = PseudonymisationKey(bytes(range(32)), source="test")


def test_only_columns_with_data_get_a_comparison() -> None:
    names = [c["output_column_name"] for c in comparisons({"surname_bloom", "surname_token", "dob_token", "sex"})]
    assert names == ["surname", "date_of_birth", "sex"]
    full = [c["output_column_name"] for c in comparisons({"nhs_number_token", "forenames_bloom", "surname_bloom",
                                                          "forenames_token", "surname_token", "postcode_token"})]
    assert full == ["nhs_number", "forenames", "surname", "postcode"]


def test_name_comparisons_use_term_frequencies_and_check_swaps() -> None:
    forenames = comparisons({"forenames_bloom", "surname_bloom", "forenames_token", "surname_token"})[0]
    levels = forenames["comparison_levels"]
    assert levels[1]["tf_adjustment_column"] == "forenames_token"
    assert "swapped" in levels[2]["label_for_charts"]


def flat_pairs(pairs: list[tuple[str, str]]) -> pl.DataFrame:
    """Pairs of names as Splink sees them: Bloom filters flattened, one set of columns per side (``x__w00_l``)."""
    left = bloom_encode(pl.DataFrame({"l": [a for a, _ in pairs]}), {"l": "name"}, KEY)
    right = bloom_encode(pl.DataFrame({"r": [b for _, b in pairs]}), {"r": "name"}, KEY)
    frame = pl.concat([left, right], how="horizontal")
    return frame.select(
        pl.col(f"{side}_bloom").struct.field(f).alias(f"{bloom_field('x', f)}_{side}")
        for side in "lr" for f in ("bits", *WORD_FIELDS)
    )


def test_flat_dice_and_overlap_sql_match_the_python_reference() -> None:
    pairs = [("JAMES", "JAMES ROBERT"), ("JAMES", "PRIYA"), ("SMITH", "SMYTH"), ("JONES", "SMITH JONES")]
    frame = flat_pairs(pairs)
    con = duckdb.connect()
    con.register("t", frame.to_arrow())
    rows = con.execute(f"SELECT {dice_sql('x')}, {overlap_similarity_sql('x')} FROM t").fetchall()
    for (a, b), (dice_value, overlap_value) in zip(pairs, rows, strict=True):
        left, right = (bloom_encode_value(name, "name", KEY) for name in (a, b))
        assert dice_value == pytest.approx(dice(left, right))
        x, y = (int.from_bytes(v, "big") for v in (left, right))
        assert overlap_value == pytest.approx((x & y).bit_count() / min(x.bit_count(), y.bit_count()))
    assert rows[0][1] == 1.0 and rows[3][1] == 1.0  # contained names
    assert rows[1][0] < 0.5 and rows[1][1] < 0.5  # unrelated names


def test_splink_frame_flattens_bloom_filters_and_fills_missing_columns() -> None:
    records = bloom_encode(pl.DataFrame({"uid": [0, 1], "surname": ["SMITH", None]}), {"surname": "name"}, KEY)
    frame = splink_frame(records, {"surname_bloom", "nhs_number_token"})
    assert frame.columns[:3] == ["uid", "nhs_number_token", "surname_bloom__bits"]
    assert frame.get_column("nhs_number_token").null_count() == 2
    assert frame.get_column("surname_bloom__bits").to_list()[1] is None


def test_overlap_sql_refuses_anything_but_a_column_name() -> None:
    with pytest.raises(ValueError):
        overlap_similarity_sql("a; DROP TABLE t")


def test_floors_keep_weights_finite_but_leave_hard_identifiers_a_veto() -> None:
    settings = settings_dict({"nhs_number_token", "dob_token"}, ["l.dob_token = r.dob_token"])
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level"):
                level["m_probability"] = 1.0 if level["label_for_charts"] == "exact" else 0.0
                level["u_probability"] = 0.0 if level["label_for_charts"] == "exact" else 0.25
    floored = floor_probabilities(settings)
    nhs, dob = floored["comparisons"]
    assert nhs["comparison_levels"][2]["m_probability"] == 0.0  # a different NHS number stays a veto
    dob_ms = [level["m_probability"] for level in dob["comparison_levels"][1:]]
    assert min(dob_ms) >= M_FLOOR * 0.99 and sum(dob_ms) == pytest.approx(1.0)
    dob_us = [level["u_probability"] for level in dob["comparison_levels"][1:]]
    assert min(dob_us) >= U_FLOOR * 0.99 and sum(dob_us) == pytest.approx(1.0)


def test_a_models_input_holds_every_column_its_rules_and_comparisons_read() -> None:
    settings = settings_dict({"surname_token", "surname_bloom", "dob_token"},
                             ["l.dob_swapped_token = r.dob_token", "l.crn_token = r.crn_token"])
    assert model_columns(settings) >= {"surname_bloom", "surname_token", "dob_token", "dob_swapped_token",
                                       "crn_token", "forenames_token"}


def trained_like(settings: dict) -> dict:
    for comparison in settings["comparisons"]:
        levels = [level for level in comparison["comparison_levels"] if not level.get("is_null_level")]
        for level in levels:
            level["m_probability"] = level["u_probability"] = 1 / len(levels)
    return settings


def test_a_name_swap_counts_once_with_its_measured_u() -> None:
    settings = trained_like(settings_dict({"forenames_token", "surname_token", "forenames_bloom", "surname_bloom"},
                                          []))
    swapped = count_swap_once(settings, 1e-7)
    forenames, surname = swapped["comparisons"]
    f_swap, s_swap = (next(level for level in c["comparison_levels"] if level["label_for_charts"] == SWAP_LABEL)
                      for c in (forenames, surname))
    assert f_swap["u_probability"] == 1e-7
    assert s_swap["u_probability"] == s_swap["m_probability"]  # neutral: the swap already counted in forenames
    for comparison in (forenames, surname):
        assert sum(level["u_probability"] for level in comparison["comparison_levels"][1:]) == pytest.approx(1.0)


def test_a_date_of_birth_more_than_a_year_apart_is_a_rare_error() -> None:
    settings = trained_like(settings_dict({"dob_token", "birth_year_month"}, []))
    dob = settings["comparisons"][0]
    assert [level["label_for_charts"] for level in dob["comparison_levels"]][-2:] == [
        "different, born within a year", DOB_FAR_LABEL]
    for level in dob["comparison_levels"][1:]:
        level["m_probability"] = 1.0 if level["label_for_charts"] == "exact" else 0.0
    floored = floor_probabilities(settings)["comparisons"][0]["comparison_levels"]
    assert floored[-1]["m_probability"] == pytest.approx(RARE_ERROR_M_FLOORS[DOB_FAR_LABEL], rel=0.01)
    assert floored[-2]["m_probability"] == pytest.approx(M_FLOOR, rel=0.01)
    con = duckdb.connect()
    within = dob["comparison_levels"][-2]["sql_condition"]
    assert con.execute(f"SELECT {within} FROM (SELECT '2001-05' AS birth_year_month_l, '2002-04' AS "
                       "birth_year_month_r)").fetchone() == (True,)
    assert con.execute(f"SELECT {within} FROM (SELECT '1985-05' AS birth_year_month_l, '2011-01' AS "
                       "birth_year_month_r)").fetchone() == (False,)
