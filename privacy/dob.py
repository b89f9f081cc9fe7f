"""Date of birth: a coarsened quasi-identifier plus keyed component tokens for error-tolerant linkage.

Dates of birth are mistyped in characteristic ways: day and month swapped (US-style entry), or the right day
and month with a wrong year. Exact tokens of the full date would miss those pairs, so ``dob_tokens``
produces, from one parsed date column (default prefix ``dob``):

=========================  ==========  ==============================================================
column                     type        content
=========================  ==========  ==============================================================
``dob_year_month``         String      ``YYYY-MM`` in clear: the coarsened quasi-identifier kept in the
                                       lake (like SAIL's week of birth), for ages and cohort marts
``dob_token``              String      token of the full date ``YYYY-MM-DD`` (kind ``dob``)
``dob_swapped_token``      String      token of the date with day and month swapped, same kind ``dob``;
                                       null when the swap is not a date (day > 12) or is the same date
                                       (day == month)
``dob_year_month_token``   String      token of ``YYYY-MM`` (kind ``dob_year_month``)
``dob_month_day_token``    String      token of ``MM-DD`` (kind ``dob_month_day``): catches a wrong year
=========================  ==========  ==============================================================

Because the swapped token uses the same kind as ``dob_token``, a day/month swap is detected with
``l.dob_swapped_token = r.dob_token`` (or the mirror). All tokens follow ``privacy.tokens`` (HMAC-SHA256,
128 bits, lowercase hex, linkage key by default): deterministic per key, null in -> null out, never
cleartext dates. Computed once per distinct date (at most ~40,000 in a century), so cost is negligible.
"""

from __future__ import annotations

import polars as pl

from privacy.keys import PseudonymisationKey
from privacy.tokens import column_tokens, resolve_key

DOB = "dob"
DOB_YEAR_MONTH = "dob_year_month"
DOB_MONTH_DAY = "dob_month_day"
DEFAULT_PREFIX = "dob"


def dob_columns(prefix: str = DEFAULT_PREFIX) -> dict[str, str]:
    """The names ``dob_tokens`` produces for a prefix, keyed by role."""
    return {
        "year_month": f"{prefix}_year_month",
        "token": f"{prefix}_token",
        "swapped_token": f"{prefix}_swapped_token",
        "year_month_token": f"{prefix}_year_month_token",
        "month_day_token": f"{prefix}_month_day_token",
    }


def swapped_date(date: pl.Expr) -> pl.Expr:
    """The date with day and month exchanged, or null when that is not a date or is the same date."""
    day, month = date.dt.day(), date.dt.month()
    swapped = pl.date(date.dt.year(), day, month)
    # Any day <= 12 becomes a valid month and any month (<= 12) a valid day, so the swap exists exactly then.
    return pl.when((day <= 12) & (day != month)).then(swapped).otherwise(None)


def dob_tokens(
    df: pl.DataFrame,
    column: str,
    key: PseudonymisationKey | bytes,
    *,
    prefix: str = DEFAULT_PREFIX,
    drop_source: bool = True,
) -> pl.DataFrame:
    """Add the coarsened ``<prefix>_year_month`` and the four ``<prefix>_*_token`` columns (see module doc).

    ``column`` must already be a ``Date`` or ``Datetime`` (parse text with ``privacy.normalise.parse_date``
    using the partner's declared format; guessing formats here could silently swap days and months). With
    ``drop_source`` (default) the cleartext date column is removed from the result.
    """
    dtype = df.schema[column]
    if dtype not in (pl.Date,) and not isinstance(dtype, pl.Datetime):
        raise TypeError(
            f"{column!r} is {dtype}; dob_tokens needs a parsed Date (use privacy.normalise.parse_date first)"
        )
    derived = resolve_key(key)
    names = dob_columns(prefix)
    date = pl.col(column).cast(pl.Date)
    iso = "%Y-%m-%d"
    tokens = column_tokens(
        df,
        column,
        {
            names["token"]: (date.dt.strftime(iso), DOB),
            names["swapped_token"]: (swapped_date(date).dt.strftime(iso), DOB),
            names["year_month_token"]: (date.dt.strftime("%Y-%m"), DOB_YEAR_MONTH),
            names["month_day_token"]: (date.dt.strftime("%m-%d"), DOB_MONTH_DAY),
        },
        derived,
    )
    result = df.with_columns(date.dt.strftime("%Y-%m").alias(names["year_month"]), *tokens.iter_columns())
    if drop_source:
        result = result.drop(column)
    return result
