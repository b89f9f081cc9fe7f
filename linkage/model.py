"""The Fellegi-Sunter model, as Splink settings, over pseudonymised person records only.

Comparisons (each with a null level first, so a missing value is neutral evidence, never disagreement):

* **identifier tokens** (NHS number, UPN, PNC ID, CRN, and a cohort's ``other_id``): exact, else. Keyed tokens only
  match exactly, which is what an identifier comparison wants.
* **forenames** and **surname**: exact token (with a term-frequency adjustment, so agreeing on a common surname
  counts for less than agreeing on a rare one); swapped with the other name (``forenames = surname`` both ways:
  both kinds share one token kind for exactly this; the swap is counted once, see ``train``); then the Dice
  coefficient of the keyed Bloom filters at ``DICE_HIGH``; containment (every bit of the shorter name's filter
  in the longer one: a middle name added, one part of a double-barrelled surname); Dice at ``DICE_MID``; else.
* **date of birth**: exact; day and month swapped (``dob_swapped_token`` has the same kind as ``dob_token``);
  same year and month; same month and day (wrong year); otherwise born within a year of each other (from the
  coarsened ``birth_year_month``) or further apart.
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
CONTAINMENT = 0.95
"""No level below ``DICE_MID``: trained on the demo area, Dice 0.55-0.7 was as common among non-matches as among
matches (a weight of about 0), and every Bloom level costs a pass over all 16 words for each non-matching pair."""

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

REGISTER_FEEDS: tuple[str, ...] = ("education_census",)
"""Feeds that list each person at most once: a cluster may never hold two of their records.

The school census is a register (one record per pupil, keyed by the permanent UPN), so two census records are two
pupils, however alike. Probation is not (one record per case), nor are the event feeds.
"""
REGISTER_RECORD = "register_record"
"""The clustering constraint column: the record key of a register feed's record, null otherwise."""

SWAP_LABEL = "swapped with the other name"
"""Label of the name levels for a forename/surname swap (the swap is counted once: see ``train``)."""
DOB_FAR_LABEL = "different, born more than a year apart"
DOB_FAR_M = 1e-5
"""The m probability of a date of birth wrong in year, month and day by more than a year: fixed, not estimated.
Recording errors (a typed digit, a swap) leave at least one component or the year right; a namesake parent, child
or sibling does not. EM cannot separate the two in its sessions (namesakes look like matches on everything else),
so this level's m is a prior: far rarer than any error EM can see."""

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
             "label_for_charts": SWAP_LABEL}
        )
    levels += [
        {"sql_condition": f"{dice} >= {DICE_HIGH}", "label_for_charts": f"Bloom Dice >= {DICE_HIGH}"},
        {"sql_condition": f"{overlap} >= {CONTAINMENT}", "label_for_charts": "one name contained in the other"},
        {"sql_condition": f"{dice} >= {DICE_MID}", "label_for_charts": f"Bloom Dice >= {DICE_MID}"},
        {"sql_condition": "ELSE", "label_for_charts": "different"},
    ]
    return {
        "output_column_name": name,
        "comparison_description": f"{name}: keyed token, swap, and Dice of keyed Bloom filters",
        "comparison_levels": levels,
    }


def _months(side: str) -> str:
    column = f'"birth_year_month_{side}"'
    return f"(CAST(substr({column}, 1, 4) AS INTEGER) * 12 + CAST(substr({column}, 6, 2) AS INTEGER))"


def _dob_comparison(with_year_month: bool) -> dict[str, Any]:
    near: list[dict[str, Any]] = []
    if with_year_month:
        # birth_year_month (YYYY-MM) is the coarsened date the lake keeps in clear for ages. Recording errors
        # that change more than one component of a date stay within a year; a namesake parent, child or
        # sibling at the same address is born more than a year apart. Telling the two apart is what stops
        # families with a shared name from merging.
        near.append({"sql_condition": f"abs({_months('l')} - {_months('r')}) <= 12",
                     "label_for_charts": "different, born within a year"})
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
            *near,
            {"sql_condition": "ELSE", "label_for_charts": "different"}
            if not with_year_month
            # A prior, fixed through EM: EM cannot tell these errors from namesakes (see DOB_FAR_M).
            else {"sql_condition": "ELSE", "label_for_charts": DOB_FAR_LABEL, "m_probability": DOB_FAR_M,
                  "fix_m_probability": True},
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
        result.append(_dob_comparison(with_year_month="birth_year_month" in present))
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


ENCODED_GROUPS: tuple[tuple[str, ...], ...] = (
    ("forenames_token", "surname_token"),
    ("dob_token", "dob_swapped_token"),
    ("dob_year_month_token",),
    ("dob_month_day_token",),
    ("postcode_token",),
    ("nhs_number_token",),
    ("upn_token",),
    ("pnc_id_token",),
    ("crn_token",),
    ("other_id_token",),
)
"""Token columns replaced by dense integer codes in the Splink input; columns in one group share one code space,
because the model compares them with each other (a forename with a surname for swaps, a date with its swap)."""


def splink_frame(
    records: pl.DataFrame, columns: Iterable[str], *, keep_strings: Iterable[str] = ()
) -> pl.DataFrame:
    """The table Splink links: ``uid`` and ``columns`` of ``records``, in the form that is cheapest to join and
    compare, with exactly the same equalities as the tokens.

    * Bloom structs are flattened into plain integer columns (``forenames_bloom__bits``, ``forenames_bloom__w00``
      ..., see ``dice_sql`` for why).
    * Keyed tokens (32-character strings) become dense integer codes, assigned per call over all the given records
      (``ENCODED_GROUPS``): two values get the same code exactly when the tokens are equal, so blocking, exact
      levels and term frequencies are unchanged while hashing and comparing a 4-byte integer instead of a 32-byte
      string; measured at 1M records, blocking alone went from about 30 s to 10 s. Codes mean nothing outside
      one call, so frames to be compared together (existing and new records) must be encoded in one call.
      ``keep_strings`` names columns a comparison reads as text (the cleartext benchmark's Jaro-Winkler names).

    Columns the records lack are added as typed nulls, so a saved model applies to any record set.
    """
    from linkage.records import RECORD_SCHEMA

    wanted = sorted(set(columns))
    selected: list[pl.Expr] = [pl.col(UNIQUE_ID)]
    for column in wanted:
        value = pl.col(column) if column in records.columns else pl.lit(None, dtype=RECORD_SCHEMA[column])
        if column in BLOOM_COLUMNS:
            fields = (BITS_FIELD, *WORD_FIELDS)
            selected += [value.struct.field(f).alias(bloom_field(column, f)) for f in fields]
        else:
            selected.append(value.alias(column))
    frame = records.select(selected)
    kept = set(keep_strings)
    for group in ENCODED_GROUPS:
        present = [c for c in group if c in wanted and c not in kept]
        if present:
            frame = _encode(frame, present)
    return frame


def _encode(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    values = pl.concat([frame.get_column(c).rename("value") for c in columns]).drop_nulls().unique().sort()
    codes = pl.Series("code", range(values.len()), dtype=pl.UInt32)
    return frame.with_columns(
        pl.col(c).replace_strict(old=values, new=codes, default=None, return_dtype=pl.UInt32) for c in columns
    )
