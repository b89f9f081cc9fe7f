"""Check characters of the UK identifiers the synthetic partners write: NHS number, UPN, PNC ID (and CRO number).

The generator needs its own small implementations (vectorised for whole chunks) so it does not depend on the
privacy package. Each `is_valid_*` function is the exact inverse of its generator and is used by the tests.

- NHS number: 10 digits; the 10th is a modulus-11 check digit over the first nine weighted 10..2; numbers whose
  check would be 10 are never issued.
- UPN (DfE): a check letter then 12 digits (LA number, establishment number, 2-digit year, 3-digit serial); the
  letter is `UPN_LETTERS[sum(digit_i * i for positions 2..13) mod 23]`. A temporary UPN has a letter in position 13,
  valued by its index in the same alphabet.
- PNC ID: `YYYY/NNNNNNNX`; X is `PNC_LETTERS[int(YY + NNNNNNN) mod 23]`.
"""

from __future__ import annotations

import numpy as np

UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
"""The 23 letters of the UPN check alphabet (I, O and S are never used)."""
PNC_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"
"""PNC check letters indexed by the remainder modulo 23 (remainder 0 is Z)."""

_NHS_WEIGHTS = np.arange(10, 1, -1, dtype=np.int64)  # weights 10..2 for the first nine digits


# ---------------------------------------------------------------- NHS number
def nhs_check_digit(first_nine: str) -> int | None:
    """The modulus-11 check digit of a 9-digit NHS number body, or None when no valid number has this body."""
    total = sum(int(c) * w for c, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def is_valid_nhs_number(value: str) -> bool:
    """True for exactly 10 digits with a correct modulus-11 check digit."""
    if len(value) != 10 or not value.isdigit():
        return False
    return nhs_check_digit(value[:9]) == int(value[9])


def nhs_check_digits(bodies: np.ndarray) -> np.ndarray:
    """Check digits of 9-digit bodies (as integers), -1 where no valid NHS number has that body."""
    bodies = np.asarray(bodies, dtype=np.int64)
    digits = (bodies[:, None] // (10 ** np.arange(8, -1, -1, dtype=np.int64))) % 10
    check = 11 - (digits @ _NHS_WEIGHTS) % 11
    return np.where(check == 11, 0, np.where(check == 10, -1, check))


def corrupt_nhs_number(value: str) -> str:
    """The same number with a wrong check digit (deterministic: the next digit round), for invalid rows."""
    return value[:9] + str((int(value[9]) + 1) % 10)


# ---------------------------------------------------------------- UPN
def upn_check_letter(body: str) -> str:
    """Check letter for the 12 characters after it (11 digits plus a digit or, for a temporary UPN, a letter)."""
    if len(body) != 12:
        raise ValueError("a UPN body has 12 characters")
    total = 0
    for weight, char in enumerate(body, start=2):
        value = UPN_LETTERS.index(char) if weight == 13 and char.isalpha() else int(char)
        total += weight * value
    return UPN_LETTERS[total % 23]


def is_valid_upn(value: str, *, allow_temporary: bool = True) -> bool:
    """True for a well-formed UPN (permanent, or temporary when allowed) with the right check letter."""
    if len(value) != 13 or value[0] not in UPN_LETTERS or not value[1:12].isdigit():
        return False
    last = value[12]
    if not (last.isdigit() or (allow_temporary and last in UPN_LETTERS)):
        return False
    return upn_check_letter(value[1:]) == value[0]


def make_upns(
    la_numbers: np.ndarray, establishments: np.ndarray, years: np.ndarray, serials: np.ndarray
) -> np.ndarray:
    """Permanent UPNs from their components (3-digit LA, 4-digit establishment, 2-digit year, 3-digit serial)."""
    body_int = (
        np.asarray(la_numbers, dtype=np.int64) * 10**9
        + np.asarray(establishments, dtype=np.int64) * 10**5
        + (np.asarray(years, dtype=np.int64) % 100) * 10**3
        + np.asarray(serials, dtype=np.int64)
    )
    digits = (body_int[:, None] // (10 ** np.arange(11, -1, -1, dtype=np.int64))) % 10
    checks = (digits @ np.arange(2, 14, dtype=np.int64)) % 23
    letters = np.array(list(UPN_LETTERS), dtype=object)[checks]
    bodies = np.char.zfill(body_int.astype(str), 12).astype(object)
    return letters + bodies


def temporary_upn(rng: np.random.Generator, la_number: int, establishment: int, year: int) -> str:
    """A temporary UPN (2 random digits then a letter in place of the serial), as DfE specifies."""
    serial = f"{int(rng.integers(0, 100)):02d}{UPN_LETTERS[int(rng.integers(0, 23))]}"
    body = f"{la_number:03d}{establishment:04d}{year % 100:02d}{serial}"
    return upn_check_letter(body) + body


def corrupt_upn(value: str) -> str:
    """The same UPN with the wrong check letter, for invalid rows."""
    index = UPN_LETTERS.index(value[0])
    return UPN_LETTERS[(index + 1) % 23] + value[1:]


# ---------------------------------------------------------------- PNC ID and CRO number
def pnc_check_letter(year: int, serial: int) -> str:
    return PNC_LETTERS[int(f"{year % 100:02d}{serial:07d}") % 23]


def is_valid_pnc_id(value: str) -> bool:
    """True for `YYYY/NNNNNNNX` with the right check letter."""
    if len(value) != 13 or value[4] != "/" or not (value[:4] + value[5:12]).isdigit():
        return False
    return pnc_check_letter(int(value[:4]), int(value[5:12])) == value[12]


def make_pnc_ids(years: np.ndarray, serials: np.ndarray) -> np.ndarray:
    """PNC IDs `YYYY/NNNNNNNX` from years and 7-digit serials."""
    years = np.asarray(years, dtype=np.int64)
    serials = np.asarray(serials, dtype=np.int64)
    checks = ((years % 100) * 10**7 + serials) % 23
    letters = np.array(list(PNC_LETTERS), dtype=object)[checks]
    return (
        years.astype(str).astype(object)
        + "/"
        + np.char.zfill(serials.astype(str), 7).astype(object)
        + letters
    )


def corrupt_pnc_id(value: str) -> str:
    index = PNC_LETTERS.index(value[-1])
    return value[:-1] + PNC_LETTERS[(index + 1) % 23]


def make_cro_numbers(years: np.ndarray, serials: np.ndarray) -> np.ndarray:
    """CRO numbers `NNNNNN/YYX` (serial, 2-digit year, check letter computed like the PNC's)."""
    years = np.asarray(years, dtype=np.int64) % 100
    serials = np.asarray(serials, dtype=np.int64)
    checks = (years * 10**6 + serials) % 23
    letters = np.array(list(PNC_LETTERS), dtype=object)[checks]
    return (
        np.char.zfill(serials.astype(str), 6).astype(object)
        + "/"
        + np.char.zfill(years.astype(str), 2).astype(object)
        + letters
    )
