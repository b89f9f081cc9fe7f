"""Named identifier checks a contract column can declare (`check: nhs_number`), as Polars expressions.

The validators themselves live in `privacy.identifiers` (they are shared with normalisation and the synthetic
generator); this module only pairs each with the message a partner sees.
"""

from __future__ import annotations

import polars as pl

from privacy import identifiers

_CHECKS = {
    "nhs_number": (identifiers.is_valid_nhs_number, "NHS number fails the modulus-11 check digit (or is not 10 digits)"),
    "upn": (identifiers.is_valid_upn, "UPN is not a check letter followed by 12 characters with a valid check letter"),
    "pnc_id": (identifiers.is_valid_pnc_id, "PNC ID is not in the form YYYY/NNNNNNNX with a valid check character"),
    "postcode": (identifiers.is_valid_postcode, "'{value}' is not a valid UK postcode"),
    "lsoa": (identifiers.is_valid_lsoa_code, "'{value}' is not an ONS LSOA code (E01 or W01 and six digits)"),
}


def identifier_check(name: str, value: pl.Expr) -> tuple[pl.Expr, str]:
    """(expression true for a valid value, plain-English message for an invalid one)."""
    validator, message = _CHECKS[name]
    return validator(value), message
