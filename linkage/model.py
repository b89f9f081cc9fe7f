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
from collections.abc import Callable, Iterable
from typing import Any

import polars as pl

from privacy.bloom import BITS_FIELD, WORD_FIELDS

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
NameComparison = Callable[..., dict[str, Any]]
"""``(name, other, *, with_swap) -> comparison dict`` for one name field."""
_PLAIN_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
FIELD_SEPARATOR = "__"
BLOOM_COLUMNS: tuple[str, ...] = ("forenames_bloom", "surname_bloom")


def bloom_field(column: str, field: str) -> str:
    """The flat column holding one field of a Bloom struct column in the Splink input (``forenames_bloom__w00``)."""
    return f"{column}{FIELD_SEPARATOR}{field}"


def _shared_bits_sql(column: str) -> str:
    if not _PLAIN_IDENTIFIER.fullmatch(column):
        raise ValueError(f"not a plain column name: {column!r}")
    # bit_count returns TINYINT: widen before summing 16 terms of up to 64 each.
    return " + ".join(
        f'bit_count("{bloom_field(column, w)}_l" & "{bloom_field(column, w)}_r")::INTEGER' for w in WORD_FIELDS
    )


def _bits_sql(column: str, side: str) -> str:
    return f'"{bloom_field(column, BITS_FIELD)}_{side}"::INTEGER'


def dice_sql(column: str) -> str:
    """DuckDB SQL for the Dice coefficient of a pair's two Bloom filters of ``column`` (0..1; NULL when either
    is NULL), reading the flat columns of ``splink_frame`` as Splink names them in a pair (``<field>_l``/``_r``).

    The same arithmetic as ``privacy.bloom.dice_similarity_sql``, without ``struct_extract``: Splink copies every
    compared column into each candidate pair, and plain integers are about three times cheaper to carry and read
    there than 17-field structs (measured: 1.6 s against 5.3 s per million pairs for one name comparison, on one
    thread).
    """
    total = f"{_bits_sql(column, 'l')} + {_bits_sql(column, 'r')}"
    return f"(2.0 * ({_shared_bits_sql(column)}) / NULLIF({total}, 0))"


def overlap_similarity_sql(column: str) -> str:
    """DuckDB SQL for the overlap coefficient ``|A & B| / min(|A|, |B|)`` of a pair's Bloom filters (0..1).

    1.0 when one filter's bits are all set in the other: the shorter name's bigrams are contained in the longer
    one's (``JAMES`` in ``JAMES ROBERT``, ``JONES`` in ``SMITH JONES``). NULL when either side is NULL. Columns as
    for ``dice_sql``.
    """
    smaller = f"least({_bits_sql(column, 'l')}, {_bits_sql(column, 'r')})"
    return f"(1.0 * ({_shared_bits_sql(column)}) / NULLIF({smaller}, 0))"


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


def bloom_name_comparison(name: str, other: str, *, with_swap: bool) -> dict[str, Any]:
    """The comparison of one name field (``forenames`` or ``surname``); ``other`` is the other field, for swaps."""
    token, bloom = f"{name}_token", f"{name}_bloom"
    other_token = f"{other}_token"
    dice = dice_sql(bloom)
    overlap = overlap_similarity_sql(bloom)
    bits = bloom_field(bloom, BITS_FIELD)
    levels: list[dict[str, Any]] = [
        {"sql_condition": f'"{bits}_l" IS NULL OR "{bits}_r" IS NULL', "label_for_charts": "null",
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


def comparisons(
    columns: Iterable[str], *, name_comparison: NameComparison | None = None
) -> list[dict[str, Any]]:
    """The comparisons for records whose non-empty columns are ``columns`` (see ``records.columns_with_data``).

    ``name_comparison`` builds the name comparisons (default ``bloom_name_comparison``); the benchmark's cleartext
    baseline passes a Jaro-Winkler one with the same levels, so the two models differ only there.
    """
    name_comparison = name_comparison or bloom_name_comparison
    present = set(columns)
    result = [
        _identifier_comparison(name, column)
        for name, column in IDENTIFIER_COMPARISONS.items()
        if column in present
    ]
    names_present = {"forenames_token", "surname_token"} <= present
    for name, other in (("forenames", "surname"), ("surname", "forenames")):
        if f"{name}_token" in present:
            result.append(name_comparison(name, other, with_swap=names_present))
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
    name_comparison: NameComparison | None = None,
) -> dict[str, Any]:
    """Untrained Splink settings: one model that deduplicates within and links across every source feed.

    ``dedupe_only`` over the union of all feeds' records is exactly "deduplicate within each agency and link across
    agencies": every pair of records is a candidate, whichever feeds they come from. Matching and intermediate
    columns are not retained in predictions: only ids and scores leave DuckDB.
    """
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": UNIQUE_ID,
        "comparisons": comparisons(columns, name_comparison=name_comparison),
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
    return {c for c in LINKAGE_COLUMNS if f'"{c}_l"' in text or f'"{bloom_field(c, BITS_FIELD)}_l"' in text}


def blocked_columns(settings: dict[str, Any]) -> set[str]:
    """Record columns the settings' blocking rules read (``l.<column>`` or ``r.<column>`` in a rule)."""
    from linkage.records import LINKAGE_COLUMNS

    text = " ".join(rule["blocking_rule"] for rule in settings["blocking_rules_to_generate_predictions"])
    return {c for c in LINKAGE_COLUMNS if re.search(rf"\b[lr]\.{c}\b", text)}


def model_columns(settings: dict[str, Any]) -> set[str]:
    """Every record column a model needs in its Splink input: compared, blocked on, or term-frequency adjusted."""
    return compared_columns(settings) | blocked_columns(settings) | set(TF_COLUMNS)


def splink_frame(records: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """The table Splink links: ``uid`` and ``columns`` of ``records``, Bloom structs flattened into plain integer
    columns (``forenames_bloom__bits``, ``forenames_bloom__w00``..., see ``dice_sql`` for why). Columns the records
    lack are added as typed nulls, so a saved model applies to any record set."""
    from linkage.records import RECORD_SCHEMA

    selected: list[pl.Expr] = [pl.col(UNIQUE_ID)]
    for column in sorted(set(columns)):
        value = pl.col(column) if column in records.columns else pl.lit(None, dtype=RECORD_SCHEMA[column])
        if column in BLOOM_COLUMNS:
            fields = (BITS_FIELD, *WORD_FIELDS)
            selected += [value.struct.field(f).alias(bloom_field(column, f)) for f in fields]
        else:
            selected.append(value.alias(column))
    return records.select(selected)
