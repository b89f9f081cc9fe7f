"""Identifier validators (polars expressions) and generators of valid identifiers for synthetic data.

Each ``is_valid_*`` function takes the raw or normalised column and returns a Boolean expression:

* null when the value is missing (null or blank), so "missing" and "invalid" can be counted apart;
* False when a value is present but malformed or its check character is wrong;
* True otherwise.

The validators normalise internally (normalisers are idempotent), so they give the same answer on raw and on
normalised input. They are vectorised: every check digit is computed with column arithmetic.

Algorithms and sources:

* NHS number: modulus 11 over the first 9 digits with weights 10..2; check = 11 - (sum mod 11), 11 -> 0,
  10 -> the number is invalid (NHS Data Dictionary, "NHS Number").
* UPN: check letter first, then 12 characters; weights 2..13 over characters 2..13, sum mod 23 indexed into
  ``ABCDEFGHJKLMNPQRTUVWXYZ`` (A-Z without I, O, S). A temporary UPN ends in a letter, which counts as its
  index in the same alphabet (DfE UPN guidance; UK Government Data Standards Catalogue, UPN v2.0).
* PNC ID: ``(YY * 10^7 + serial) mod 23`` indexed into ``ZABCDEFGHJKLMNPQRTUVWXY`` (Z = 0; no I, O, S), YY
  being the last two digits of the year (as implemented by MoJ hmpps-person-record; checked against
  published IDs such as ``2001/0171310W`` and ``1979/0026538X``).
* Postcode: the BS 7666 shape of a UK postcode plus ``GIR 0AA``; a pattern check, not proof the postcode
  exists (that needs the ONS postcode directory, see ``privacy.coarsen``).
* LSOA: ONS 2011/2021 LSOA code, ``E01`` (England) or ``W01`` (Wales) + 6 digits.
"""

from __future__ import annotations

import random

import polars as pl

from privacy.normalise import normalise_nhs_number, normalise_pnc_id, normalise_postcode, normalise_upn

UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"  # 23 letters: index = check value
PNC_ALPHABET = "ZABCDEFGHJKLMNPQRTUVWXY"  # 23 letters: Z is 0
MODULUS_23 = 23

POSTCODE_PATTERN = (
    r"^(GIR 0AA|[A-PR-UWYZ]([0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPS-UW]|[A-HK-Y][0-9][ABEHMNPRV-Y])"
    r" [0-9][ABD-HJLNP-UW-Z]{2})$"
)
LSOA_PATTERN = r"^[EW]01[0-9]{6}$"
UPN_PATTERN = r"^[A-HJ-NP-RT-Z][0-9]{11}[0-9A-HJ-NP-RT-Z]$"
PNC_PATTERN = r"^[0-9]{4}/[0-9]{7}[A-Z]$"


def _present(raw: pl.Expr) -> pl.Expr:
    """True when a value was supplied at all (not null, not blank): decides null vs False."""
    return raw.cast(pl.String).str.strip_chars().str.len_chars() > 0


def _result(raw: pl.Expr, valid: pl.Expr) -> pl.Expr:
    return pl.when(_present(raw)).then(valid.fill_null(False)).otherwise(None)


def is_valid_nhs_number(expr: pl.Expr) -> pl.Expr:
    """NHS number has 10 digits and a correct modulus-11 check digit (null when missing).

    Note: placeholder numbers such as ``0000000000`` pass the checksum; exclude them by policy if a feed
    uses them, since a shared placeholder token would link unrelated people.
    """
    # Digits are taken arithmetically from one integer parse: ten string slices would be ~10x slower.
    number = normalise_nhs_number(expr).cast(pl.Int64, strict=False)
    weighted = pl.sum_horizontal([(number // 10 ** (9 - i)) % 10 * (10 - i) for i in range(9)])
    # (11 - r) % 11 maps a check value of 11 to 0; a check value of 10 can never equal a digit, so
    # numbers without a valid check digit fail without a separate test.
    valid = (11 - weighted % 11) % 11 == number % 10
    return _result(expr, valid)


def _upn_value(char: pl.Expr) -> pl.Expr:
    """A UPN character's value in the checksum: digits as themselves, letters as their alphabet index."""
    mapping = {str(d): d for d in range(10)} | {letter: i for i, letter in enumerate(UPN_ALPHABET)}
    return char.replace_strict(mapping, default=None, return_dtype=pl.Int32)


def is_valid_upn(expr: pl.Expr) -> pl.Expr:
    """UPN is a check letter + 11 digits + a digit or letter, with the DfE modulus-23 check letter."""
    upn = normalise_upn(expr)
    weighted = pl.sum_horizontal([_upn_value(upn.str.slice(i, 1)) * (i + 1) for i in range(1, 13)])
    expected = (weighted % MODULUS_23).replace_strict(
        dict(enumerate(UPN_ALPHABET)), default=None, return_dtype=pl.String
    )
    valid = upn.str.contains(UPN_PATTERN) & (upn.str.slice(0, 1) == expected)
    return _result(expr, valid)


def is_valid_pnc_id(expr: pl.Expr) -> pl.Expr:
    """PNC ID parses to ``YYYY/NNNNNNNC`` and its check letter is correct (null when missing)."""
    pnc = normalise_pnc_id(expr)
    number = pl.concat_str([pnc.str.slice(2, 2), pnc.str.slice(5, 7)]).cast(pl.Int64, strict=False)
    expected = (number % MODULUS_23).replace_strict(
        dict(enumerate(PNC_ALPHABET)), default=None, return_dtype=pl.String
    )
    valid = pnc.str.contains(PNC_PATTERN) & (pnc.str.slice(12, 1) == expected)
    return _result(expr, valid)


def is_valid_postcode(expr: pl.Expr) -> pl.Expr:
    """Postcode has the shape of a UK postcode once normalised (null when missing)."""
    return _result(expr, normalise_postcode(expr).str.contains(POSTCODE_PATTERN))


def is_valid_lsoa_code(expr: pl.Expr) -> pl.Expr:
    """ONS LSOA code for England or Wales, e.g. ``E01000001`` (case and surrounding spaces tolerated)."""
    code = expr.cast(pl.String).str.strip_chars().str.to_uppercase()
    return _result(expr, code.str.contains(LSOA_PATTERN))


# Plain-Python generators for the synthetic data generator. They take a ``random.Random`` so a seed
# reproduces the same dataset; each returns the canonical (normalised) form.


def nhs_check_digit(first_nine: str) -> int | None:
    """The modulus-11 check digit for 9 digits, or None when no valid NHS number starts with them."""
    check = 11 - sum(int(d) * (10 - i) for i, d in enumerate(first_nine)) % 11
    if check == 10:
        return None
    return 0 if check == 11 else check


def make_valid_nhs_number(rng: random.Random) -> str:
    """A random 10-digit NHS number with a valid check digit, in the synthetic 999 range.

    Numbers start with ``999``, a range NHS England reserves for testing and never issues to patients, so
    synthetic data can never collide with a real person's NHS number.
    """
    while True:
        first_nine = f"999{rng.randrange(10**6):06d}"
        check = nhs_check_digit(first_nine)
        if check is not None:
            return f"{first_nine}{check}"


def upn_check_letter(last_twelve: str) -> str:
    """The UPN check letter for the 12 characters that follow it."""

    def value(char: str) -> int:
        return int(char) if char.isdigit() else UPN_ALPHABET.index(char)

    return UPN_ALPHABET[
        sum(value(c) * w for c, w in zip(last_twelve, range(2, 14), strict=True)) % MODULUS_23
    ]


def make_valid_upn(rng: random.Random, la_code: int | str, *, year: int | None = None) -> str:
    """A random permanent UPN for a local authority: check letter, LA (3), establishment (4), year (2), serial (3).

    ``la_code`` is the 3-digit DfE local authority number (e.g. 330 for Birmingham); ``year`` is the allocation
    year (random 2000-2025 when not given).
    """
    la = f"{int(la_code):03d}"
    if len(la) != 3:
        raise ValueError(f"la_code must be a 3-digit DfE LA number, got {la_code!r}")
    allocation_year = year if year is not None else rng.randint(2000, 2025)
    body = f"{la}{rng.randrange(10**4):04d}{allocation_year % 100:02d}{rng.randrange(10**3):03d}"
    return upn_check_letter(body) + body


def pnc_check_letter(year: int, serial: int) -> str:
    """The PNC ID check letter for a year (2 or 4 digits; only the last two count) and serial number."""
    return PNC_ALPHABET[((year % 100) * 10**7 + serial) % MODULUS_23]


def make_valid_pnc_id(rng: random.Random, year: int) -> str:
    """A random PNC ID for a record-creation year, in the canonical form ``YYYY/NNNNNNNC``."""
    if not 1900 <= year <= 2099:
        raise ValueError(f"year must be a 4-digit year, got {year}")
    serial = rng.randrange(1, 10**7)
    return f"{year}/{serial:07d}{pnc_check_letter(year, serial)}"
