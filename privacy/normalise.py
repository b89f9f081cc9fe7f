"""Normalisers: map each identifier to one canonical spelling before it is tokenised or validated.

A keyed token only matches when the bytes match exactly, so two partners writing ``943 476 5919`` and
``9434765919`` must produce the same normalised string. Every function here takes and returns a
``pl.Expr`` (vectorised, no per-row Python) and guarantees:

* **idempotent**: ``f(f(x)) == f(x)``, so tokenising already-normalised data is safe;
* **null for unusable**: empty, blank or unparseable values become null (never the empty string), so a
  missing value can never produce a token that links everyone with a missing value;
* **no validation**: a normalised value may still fail its check digit; ``privacy.identifiers`` checks that.

Canonical forms:

====================  =====================================================================================
name                  upper case, accents stripped (NFKD, combining marks removed), apostrophes removed,
                      hyphens and any other non-letter replaced by a space, whitespace collapsed:
                      ``"  O'Brien-Smyth, Zoë"`` -> ``"OBRIEN SMYTH ZOE"``
NHS number            exactly 10 digits, separators removed: ``"943 476 5919"`` -> ``"9434765919"``
UPN                   upper case, whitespace removed: ``"a 801200005001"`` -> ``"A801200005001"``
PNC ID                ``YYYY/NNNNNNNC``: 4-digit year, slash, 7-digit zero-padded serial, check letter
                      (see ``normalise_pnc_id`` for the accepted inputs)
CRN                   upper case, whitespace removed: ``"x123 456"`` -> ``"X123456"``
postcode              upper case, one space before the 3-character inward code: ``"sw1a1aa"`` -> ``"SW1A 1AA"``
date                  ``pl.Date`` parsed with explicit formats (day first, as UK data is written)
====================  =====================================================================================
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

import polars as pl

# Apostrophe-like characters are deleted rather than spaced so that O'BRIEN, O’BRIEN and OBRIEN agree.
_APOSTROPHES = r"['’‘`´ʼʹ]"
# Unicode combining marks left behind by NFKD decomposition (é -> e + U+0301).
_COMBINING_MARKS = r"\p{M}"

NHS_NUMBER_LENGTH = 10
PNC_SERIAL_DIGITS = 7

# Day-first formats only: a UK feed's 03/04/2001 is 3 April. Two-digit years are not accepted by default
# because the century of a date of birth cannot be guessed safely.
DEFAULT_DATE_FORMATS: tuple[str, ...] = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d", "%Y/%m/%d")


def _null_if_empty(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr.str.len_bytes() > 0).then(expr).otherwise(None)


def _strip_all_whitespace(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(r"\s+", "")


def normalise_name(expr: pl.Expr) -> pl.Expr:
    """Canonical person name (surname or forenames), suitable for keyed tokens and Bloom bigrams.

    Upper case; accents removed via NFKD decomposition (``Zoë`` -> ``ZOE``, ``ﬁ`` -> ``FI``, ``ß`` ->
    ``SS``); apostrophes deleted (``O'Brien`` -> ``OBRIEN``); hyphens, digits and other punctuation turned
    into a single space (``Smith-Jones`` and ``Smith Jones`` agree); whitespace collapsed and trimmed; null
    when nothing is left. Letters of non-Latin scripts are kept (upper-cased where the script has case).
    """
    decomposed = expr.cast(pl.String).str.normalize("NFKD").str.replace_all(_COMBINING_MARKS, "")
    upper = decomposed.str.to_uppercase().str.replace_all(_APOSTROPHES, "")
    # Upper-casing can itself produce combining marks (rare, e.g. ŉ), so strip them once more for idempotence.
    upper = upper.str.normalize("NFKD").str.replace_all(_COMBINING_MARKS, "")
    spaced = upper.str.replace_all(r"[^\p{L}]+", " ").str.strip_chars(" ")
    return _null_if_empty(spaced)


def normalise_nhs_number(expr: pl.Expr) -> pl.Expr:
    """Canonical NHS number: the digits only, null unless exactly 10 digits remain.

    Any separator is dropped (``943 476 5919``, ``943-476-5919`` -> ``9434765919``); letters make the value
    unusable rather than being silently removed, because ``94347A65919`` is a typo, not a formatting choice.
    """
    text = expr.cast(pl.String).str.replace_all(r"[\s\-./]", "")
    return pl.when(text.str.contains(r"^\d{10}$")).then(text).otherwise(None)


def normalise_upn(expr: pl.Expr) -> pl.Expr:
    """Canonical Unique Pupil Number: upper case, all whitespace removed, null if empty."""
    return _null_if_empty(_strip_all_whitespace(expr.cast(pl.String)).str.to_uppercase())


def normalise_crn(expr: pl.Expr) -> pl.Expr:
    """Canonical probation case reference number (nDelius CRN): upper case, whitespace removed, null if empty."""
    return _null_if_empty(_strip_all_whitespace(expr.cast(pl.String)).str.to_uppercase())


def normalise_postcode(expr: pl.Expr) -> pl.Expr:
    """Canonical UK postcode ``OUTWARD INWARD`` with exactly one space, e.g. ``SW1A 1AA``, ``M1 1AE``.

    Upper case, every non-alphanumeric character removed, then a space inserted before the last three
    characters (the inward code is always digit-letter-letter). Null when fewer than 5 or more than 7
    alphanumerics remain, since no UK postcode has that shape; the full pattern is checked by
    ``privacy.identifiers.is_valid_postcode``.
    """
    compact = expr.cast(pl.String).str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "")
    length = compact.str.len_chars()
    spaced = pl.concat_str([compact.str.slice(0, length - 3), pl.lit(" "), compact.str.slice(-3)])
    return pl.when((length >= 5) & (length <= 7)).then(spaced).otherwise(None)


def postcode_district(expr: pl.Expr) -> pl.Expr:
    """The outward code of a postcode (``SW1A 1AA`` -> ``SW1A``): a coarser area for small-number outputs."""
    return normalise_postcode(expr).str.split(" ").list.first()


def normalise_pnc_id(expr: pl.Expr, *, current_year: int | None = None) -> pl.Expr:
    """Canonical Police National Computer ID ``YYYY/NNNNNNNC`` (e.g. ``2001/0171310W``), or null.

    Accepted inputs (after upper-casing and removing whitespace):

    * with a slash: ``YYYY/N..NC`` or ``YY/N..NC`` with 1 to 7 serial digits (leading zeros optional),
      e.g. ``2012/394773H``, ``01/171310W``;
    * without a slash, only the unambiguous fully padded forms: ``YYYYNNNNNNNC`` (12 characters) and
      ``YYNNNNNNNC`` (10 characters). Other slash-less lengths are ambiguous (``200112345X`` could be
      2001 + 12345 or 20 + 0112345) and become null rather than risk a wrong token and a false link.

    A 2-digit year is given a century as the Ministry of Justice person-record service does: ``YY`` up to the
    current year's last two digits is 20YY, otherwise 19YY (PNC IDs date from the 1970s, so this is stable
    until 2070). ``current_year`` pins the pivot for reproducible tests; the check letter uses only the last
    two digits of the year, so the pivot never changes whether an ID validates.
    """
    pivot = (current_year if current_year is not None else dt.date.today().year) % 100
    text = _strip_all_whitespace(expr.cast(pl.String)).str.to_uppercase()
    pattern = r"^(\d{4}|\d{2})/(\d{1,7})([A-Z])$|^(\d{4})(\d{7})([A-Z])$|^(\d{2})(\d{7})([A-Z])$"
    parts = text.str.extract_groups(pattern)
    year = pl.coalesce(parts.struct.field("1"), parts.struct.field("4"), parts.struct.field("7"))
    serial = pl.coalesce(parts.struct.field("2"), parts.struct.field("5"), parts.struct.field("8"))
    check = pl.coalesce(parts.struct.field("3"), parts.struct.field("6"), parts.struct.field("9"))
    two_digit = year.str.len_chars() == 2
    century = pl.when(year.cast(pl.Int32, strict=False) <= pivot).then(pl.lit("20")).otherwise(pl.lit("19"))
    full_year = pl.when(two_digit).then(pl.concat_str([century, year])).otherwise(year)
    return pl.concat_str([full_year, pl.lit("/"), serial.str.zfill(PNC_SERIAL_DIGITS), check])


_DIRECTIVE_WIDTHS = {"%Y": (4, 4), "%y": (2, 2), "%m": (1, 2), "%d": (1, 2)}


def _format_regex(fmt: str) -> str | None:
    """An anchored regex of the text a date format may match, or None if it uses other directives.

    Needed because chrono's ``%Y`` accepts any number of digits: without this, ``04/03/01`` parses with
    ``%d/%m/%Y`` as 4 March in year 1 instead of being rejected.
    """
    parts = [p for p in re.split(r"(%[A-Za-z])", fmt) if p]
    pattern = []
    for i, part in enumerate(parts):
        if part not in _DIRECTIVE_WIDTHS:
            if part.startswith("%"):
                return None
            pattern.append(re.escape(part))
            continue
        low, high = _DIRECTIVE_WIDTHS[part]
        next_is_directive = i + 1 < len(parts) and parts[i + 1].startswith("%")
        previous_is_directive = i > 0 and parts[i - 1].startswith("%")
        # Adjacent fields (e.g. %Y%m%d) can only be split at fixed widths.
        if next_is_directive or previous_is_directive:
            low = high
        pattern.append(rf"\d{{{low},{high}}}")
    return "^" + "".join(pattern) + "$"


def parse_date(expr: pl.Expr, formats: Sequence[str] = DEFAULT_DATE_FORMATS) -> pl.Expr:
    """Parse a text date with explicit formats (first match wins), returning ``pl.Date`` or null.

    Explicit formats are used because polars' date inference is several times slower and may read
    ``03/04/2001`` month-first. A time part after ``T`` or a space (``2001-04-03T00:00:00``) is ignored.
    Each value must match the whole format with a 4-digit ``%Y``; values matching no format, or naming
    impossible dates (31/02/2001), become null. Already-parsed ``Date``/``Datetime`` columns should be
    passed to ``normalise_date`` instead.
    """
    if not formats:
        raise ValueError("parse_date needs at least one format")
    text = expr.cast(pl.String).str.strip_chars().str.replace(r"[T ]\d{1,2}:\d{2}.*$", "")
    parsed = []
    for fmt in formats:
        attempt = text.str.to_date(fmt, strict=False)
        shape = _format_regex(fmt)
        parsed.append(attempt if shape is None else pl.when(text.str.contains(shape)).then(attempt))
    return pl.coalesce(parsed)


def normalise_date(expr: pl.Expr) -> pl.Expr:
    """A ``Date``/``Datetime`` column as ``pl.Date`` (time of day dropped); the canonical form for tokens."""
    return expr.cast(pl.Date)
