"""Coarsening of quasi-identifiers: postcode to LSOA, date of birth to age.

A full postcode covers about 15 addresses; an LSOA about 1,500 residents. Keeping the LSOA and dropping the
postcode is what lets area marts exist without the lake holding home addresses.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import polars as pl

from privacy.normalise import normalise_postcode

logger = logging.getLogger(__name__)

LOOKUP_POSTCODE = "postcode"
LOOKUP_LSOA = "lsoa_code"


@dataclass(frozen=True)
class PostcodeLookupResult:
    """The coarsened frame and how many rows could not be placed (counts only: safe to log and show).

    ``missing``: no usable postcode in the row; ``unmatched``: a postcode that is not in the lookup
    (mistyped, terminated or outside the lookup's area). Both end with a null LSOA.
    """

    frame: pl.DataFrame
    matched: int
    unmatched: int
    missing: int


def postcode_to_lsoa(
    df: pl.DataFrame,
    column: str,
    lookup: pl.DataFrame,
    *,
    output: str = LOOKUP_LSOA,
    drop_source: bool = True,
) -> PostcodeLookupResult:
    """Add ``output`` (default ``lsoa_code``) by joining the normalised postcode to ``lookup``.

    ``lookup`` has columns ``postcode`` and ``lsoa_code`` (e.g. from the ONS Postcode Directory; its
    postcodes are normalised here too, so ``pcd``'s padded 7-character form works). Rows keep their order and
    count; unknown or missing postcodes get a null LSOA and are counted in the result. Raises ValueError if
    the lookup maps one postcode to two LSOAs, since that would duplicate rows or pick one silently. With
    ``drop_source`` (default) the postcode column is removed.
    """
    missing_columns = {LOOKUP_POSTCODE, LOOKUP_LSOA} - set(lookup.columns)
    if missing_columns:
        raise ValueError(f"postcode lookup lacks column(s) {sorted(missing_columns)}")
    key = "__vrlake_postcode"
    table = (
        lookup.select(
            normalise_postcode(pl.col(LOOKUP_POSTCODE)).alias(key), pl.col(LOOKUP_LSOA).alias(output)
        )
        .drop_nulls(key)
        .unique()
    )
    duplicated = table.filter(pl.col(key).is_duplicated())
    if not duplicated.is_empty():
        raise ValueError(
            f"postcode lookup maps {duplicated.get_column(key).n_unique()} postcode(s) to more than one LSOA"
        )
    joined = df.with_columns(normalise_postcode(pl.col(column)).alias(key)).join(
        table, on=key, how="left", maintain_order="left"
    )
    missing = joined.get_column(key).null_count()
    unplaced = joined.get_column(output).null_count()
    frame = joined.drop(key)
    if drop_source:
        frame = frame.drop(column)
    result = PostcodeLookupResult(
        frame=frame, matched=df.height - unplaced, unmatched=unplaced - missing, missing=missing
    )
    if result.unmatched:
        logger.info("postcode_to_lsoa: %d of %d postcodes not in the lookup", result.unmatched, df.height)
    return result


def age_at(date_of_birth: pl.Expr, event_date: pl.Expr) -> pl.Expr:
    """Age in completed years on ``event_date`` (Int32); null if either is null or the event precedes birth.

    The birthday is reached when (month, day) of the event is at or after (month, day) of birth, so a
    person born on 29 February turns a year older on 1 March in common years and on 29 February in leap
    years.
    """
    birth = date_of_birth.cast(pl.Date)
    event = event_date.cast(pl.Date)
    years = event.dt.year().cast(pl.Int32) - birth.dt.year().cast(pl.Int32)
    before_birthday = (event.dt.month() < birth.dt.month()) | (
        (event.dt.month() == birth.dt.month()) & (event.dt.day() < birth.dt.day())
    )
    age = years - before_birthday.cast(pl.Int32)
    return pl.when(event >= birth).then(age).otherwise(None)
