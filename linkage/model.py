"""The Fellegi-Sunter model, as Splink settings, over pseudonymised person records only.

Comparisons (each with a null level first, so a missing value is neutral evidence, never disagreement):

* **identifier tokens** (NHS number, UPN, PNC ID, CRN, and a cohort's ``other_id``): exact, else. Keyed tokens only
  match exactly, which is what an identifier comparison wants.
* **forenames** and **surname**: exact token (with a term-frequency adjustment, so agreeing on a common surname
  counts for less than agreeing on a rare one); swapped with the other name (``forenames = surname`` both ways:
  both kinds share one token kind for exactly this); then the Dice coefficient of the keyed Bloom filters at
  ``DICE_HIGH``; containment (every bit of the shorter name's filter in the longer one: a middle name added,
  one part of a double-barrelled surname); Dice at ``DICE_MID`` and ``DICE_LOW``; else.
* **date of birth**: exact; day and month swapped (``dob_swapped_token`` has the same kind as ``dob_token``);
  same year and month; same month and day (wrong year); else.
* **sex**: exact, else (unknown is null). **postcode**: exact token; same LSOA; else.

Bloom Dice thresholds follow ``privacy.bloom``'s measurements: chance collisions lift Dice by ~0.1 (unrelated
surnames ~0.12), a one-letter typo scores ~0.65-0.7 in short names and > 0.8 in long ones.

Only columns holding data get a comparison (a lake with no ED feed has no NHS-number comparison), so EM never has
to estimate a level it cannot see. The settings are plain JSON: they hold column names and parameters, never a
value from the data, so the trained model can be stored in the lake zone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from privacy.bloom import BITS_FIELD, WORD_FIELDS, dice_similarity_sql

UNIQUE_ID = "uid"
"""Splink's unique id: an integer assigned per run (joins on integers are cheaper than on 32-character tokens)."""

DICE_HIGH = 0.88
DICE_MID = 0.7
DICE_LOW = 0.55
CONTAINMENT = 0.95

IDENTIFIER_COMPARISONS: dict[str, str] = {
    "nhs_number": "nhs_number_token",
    "upn": "upn_token",
    "pnc_id": "pnc_id_token",
    "crn": "crn_token",
    "other_id": "other_id_token",
}
HARD_IDENTIFIERS: tuple[str, ...] = ("nhs_number_token", "pnc_id_token")
"""Identifiers issued once per person nationally: a cluster may never hold two different values of one of them.

The UPN is not here because exclusion records are sometimes keyed under a temporary UPN for a pupil whose census
record has the permanent one; a CRN is per probation case, and one person can have two cases.
"""

TF_COLUMNS: tuple[str, ...] = ("forenames_token", "surname_token")
_PLAIN_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def overlap_similarity_sql(left_col: str, right_col: str) -> str:
    """DuckDB SQL for the overlap coefficient ``|A & B| / min(|A|, |B|)`` of two Bloom struct columns (0..1).

    1.0 when one filter's bits are all set in the other: the shorter name's bigrams are contained in the longer
    one's (``JAMES`` in ``JAMES ROBERT``, ``JONES`` in ``SMITH JONES``). NULL when either side is NULL. Column
    names must be plain identifiers (they are quoted), as for ``privacy.bloom.dice_similarity_sql``.
    """
    for column in (left_col, right_col):
        if not _PLAIN_IDENTIFIER.fullmatch(column):
            raise ValueError(f"not a plain column name: {column!r}")

    def field(column: str, name: str) -> str:
        return f"struct_extract(\"{column}\", '{name}')"

    # bit_count returns TINYINT; widen before summing, as dice_similarity_sql does.
    shared = " + ".join(f"bit_count({field(left_col, w)} & {field(right_col, w)})::INTEGER" for w in WORD_FIELDS)
    smaller = f"least({field(left_col, BITS_FIELD)}::INTEGER, {field(right_col, BITS_FIELD)}::INTEGER)"
    return f"(1.0 * ({shared}) / NULLIF({smaller}, 0))"


def _identifier_comparison(name: str, column: str) -> dict[str, Any]:
    return {
        "output_column_name": name,
        "comparison_description": f"{name} keyed token: exact or not",
        "comparison_levels": [
            {"sql_condition": f'"{column}_l" IS NULL OR "{column}_r" IS NULL', "label_for_charts": "null",
             "is_null_level": True},
            {"sql_condition": f'"{column}_l" = "{column}_r"', "label_for_charts": "exact"},
            {"sql_condition": "ELSE", "label_for_charts": "different"},
        ],
    }


def _name_comparison(name: str, other: str, *, with_swap: bool) -> dict[str, Any]:
    token, bloom = f"{name}_token", f"{name}_bloom"
    other_token = f"{other}_token"
    dice = dice_similarity_sql(f"{bloom}_l", f"{bloom}_r")
    overlap = overlap_similarity_sql(f"{bloom}_l", f"{bloom}_r")
    levels: list[dict[str, Any]] = [
        {"sql_condition": f'"{bloom}_l" IS NULL OR "{bloom}_r" IS NULL', "label_for_charts": "null",
         "is_null_level": True},
        {"sql_condition": f'"{token}_l" = "{token}_r"', "label_for_charts": "exact",
         "tf_adjustment_column": token, "tf_adjustment_weight": 1.0},
    ]
    if with_swap:
        levels.append(
            {"sql_condition": f'"{token}_l" = "{other_token}_r" AND "{other_token}_l" = "{token}_r"',
             "label_for_charts": "swapped with the other name"}
        )
    levels += [
        {"sql_condition": f"{dice} >= {DICE_HIGH}", "label_for_charts": f"Bloom Dice >= {DICE_HIGH}"},
        {"sql_condition": f"{overlap} >= {CONTAINMENT}", "label_for_charts": "one name contained in the other"},
        {"sql_condition": f"{dice} >= {DICE_MID}", "label_for_charts": f"Bloom Dice >= {DICE_MID}"},
        {"sql_condition": f"{dice} >= {DICE_LOW}", "label_for_charts": f"Bloom Dice >= {DICE_LOW}"},
        {"sql_condition": "ELSE", "label_for_charts": "different"},
    ]
    return {
        "output_column_name": name,
        "comparison_description": f"{name}: keyed token, swap, and Dice of keyed Bloom filters",
        "comparison_levels": levels,
    }


def _dob_comparison() -> dict[str, Any]:
    return {
        "output_column_name": "date_of_birth",
        "comparison_description": "date of birth through keyed component tokens",
        "comparison_levels": [
            {"sql_condition": '"dob_token_l" IS NULL OR "dob_token_r" IS NULL', "label_for_charts": "null",
             "is_null_level": True},
            {"sql_condition": '"dob_token_l" = "dob_token_r"', "label_for_charts": "exact"},
            {"sql_condition": '"dob_swapped_token_l" = "dob_token_r" OR "dob_token_l" = "dob_swapped_token_r"',
             "label_for_charts": "day and month swapped"},
            {"sql_condition": '"dob_year_month_token_l" = "dob_year_month_token_r"',
             "label_for_charts": "same year and month"},
            {"sql_condition": '"dob_month_day_token_l" = "dob_month_day_token_r"',
             "label_for_charts": "same month and day, other year"},
            {"sql_condition": "ELSE", "label_for_charts": "different"},
        ],
    }


def _sex_comparison() -> dict[str, Any]:
    return {
        "output_column_name": "sex",
        "comparison_description": "recorded sex (unknown is null)",
        "comparison_levels": [
            {"sql_condition": '"sex_l" IS NULL OR "sex_r" IS NULL', "label_for_charts": "null", "is_null_level": True},
            {"sql_condition": '"sex_l" = "sex_r"', "label_for_charts": "exact"},
            {"sql_condition": "ELSE", "label_for_charts": "different"},
        ],
    }


def _postcode_comparison(with_lsoa: bool) -> dict[str, Any]:
    levels: list[dict[str, Any]] = [
        {"sql_condition": '"postcode_token_l" IS NULL OR "postcode_token_r" IS NULL', "label_for_charts": "null",
         "is_null_level": True},
        {"sql_condition": '"postcode_token_l" = "postcode_token_r"', "label_for_charts": "same postcode"},
    ]
    if with_lsoa:
        levels.append({"sql_condition": '"postcode_lsoa_l" = "postcode_lsoa_r"', "label_for_charts": "same LSOA"})
    levels.append({"sql_condition": "ELSE", "label_for_charts": "different"})
    return {
        "output_column_name": "postcode",
        "comparison_description": "home postcode through its keyed token, then its LSOA",
        "comparison_levels": levels,
    }


def comparisons(columns: Iterable[str]) -> list[dict[str, Any]]:
    """The comparisons for records whose non-empty columns are ``columns`` (see ``records.columns_with_data``)."""
    present = set(columns)
    result = [
        _identifier_comparison(name, column)
        for name, column in IDENTIFIER_COMPARISONS.items()
        if column in present
    ]
    names_present = {"forenames_bloom", "surname_bloom"} <= present
    for name, other in (("forenames", "surname"), ("surname", "forenames")):
        if f"{name}_bloom" in present:
            result.append(_name_comparison(name, other, with_swap=names_present))
    if "dob_token" in present:
        result.append(_dob_comparison())
    if "sex" in present:
        result.append(_sex_comparison())
    if "postcode_token" in present:
        result.append(_postcode_comparison(with_lsoa="postcode_lsoa" in present))
    return result


def settings_dict(
    columns: Iterable[str],
    blocking_rules: Iterable[str],
    *,
    probability_two_random_records_match: float = 1e-4,
) -> dict[str, Any]:
    """Untrained Splink settings: one model that deduplicates within and links across every source feed.

    ``dedupe_only`` over the union of all feeds' records is exactly "deduplicate within each agency and link across
    agencies": every pair of records is a candidate, whichever feeds they come from. Matching and intermediate
    columns are not retained in predictions: only ids and scores leave DuckDB.
    """
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": UNIQUE_ID,
        "comparisons": comparisons(columns),
        "blocking_rules_to_generate_predictions": [{"blocking_rule": rule} for rule in blocking_rules],
        "probability_two_random_records_match": probability_two_random_records_match,
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
        "additional_columns_to_retain": [],
        "em_convergence": 0.0001,
        "max_iterations": 25,
    }


def compared_columns(settings: dict[str, Any]) -> set[str]:
    """Record columns a settings dict's comparisons read (so a saved model can be applied to any record set)."""
    from linkage.records import LINKAGE_COLUMNS

    text = " ".join(
        level["sql_condition"] for comparison in settings["comparisons"] for level in comparison["comparison_levels"]
    )
    return {c for c in LINKAGE_COLUMNS if f'"{c}_l"' in text or f"{c}_l" in text}
