"""Identifier noise: how each partner system records the same person differently, and deliberately bad rows.

Each system keeps its own version of a person's identity (a police nominal record, an nDelius case, a pupil
record, a patient record). `identity_variant` derives that version from the true identity once per person and
system, so repeated records in one system agree with each other (as they do in real systems) while differing
between systems. Noise kinds: typos (substitution of a neighbouring key, transposition, deletion, doubling),
nicknames and spelling variants, accents and apostrophes dropped, middle names added, double-barrelled surnames
cut to one part, forename/surname swaps and day/month swaps in dates of birth (only where the result is a real
date, because systems reject impossible dates).

`choose_defects` marks the small share of rows that must fail validation; writers apply the defect when they
render the row, and the truth file records which rows carry one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synth.config import NoiseConfig
from synth.names import NICKNAMES, strip_accents
from synth.people import People, ymd

_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS: dict[str, str] = {}
for _r, _row in enumerate(_KEYBOARD_ROWS):
    for _c, _key in enumerate(_row):
        near = [_row[i] for i in (_c - 1, _c + 1) if 0 <= i < len(_row)]
        for _other in (_r - 1, _r + 1):
            if 0 <= _other < len(_KEYBOARD_ROWS):
                near += [
                    _KEYBOARD_ROWS[_other][i] for i in (_c - 1, _c) if 0 <= i < len(_KEYBOARD_ROWS[_other])
                ]
        _NEIGHBOURS[_key] = "".join(dict.fromkeys(near))


@dataclass(frozen=True)
class SystemNoise:
    """How carelessly a system records identity, as multipliers of the configured rates."""

    typo: float
    nickname: float
    accent_strip: float
    middle_name: float
    name_swap: float
    dob_swap: float
    punctuation: float
    """Multiplier of `accent_strip_rate` for dropping apostrophes from surnames."""


SYSTEM_NOISE: dict[str, SystemNoise] = {
    # Police nominals are keyed from what people say at the roadside or the front desk.
    "police": SystemNoise(
        typo=1.0,
        nickname=1.0,
        accent_strip=1.0,
        middle_name=1.0,
        name_swap=1.0,
        dob_swap=1.0,
        punctuation=0.4,
    ),
    # ED registration traces most patients on the national spine, so names are mostly right.
    "health": SystemNoise(
        typo=0.6,
        nickname=0.3,
        accent_strip=0.6,
        middle_name=0.0,
        name_swap=0.8,
        dob_swap=0.8,
        punctuation=0.3,
    ),
    "probation": SystemNoise(
        typo=0.4,
        nickname=0.15,
        accent_strip=0.5,
        middle_name=0.0,
        name_swap=0.3,
        dob_swap=0.5,
        punctuation=0.2,
    ),
    # Schools hold legal names from birth certificates.
    "education": SystemNoise(
        typo=0.15,
        nickname=0.0,
        accent_strip=0.0,
        middle_name=0.0,
        name_swap=0.1,
        dob_swap=0.2,
        punctuation=0.0,
    ),
}


@dataclass(frozen=True)
class Identity:
    """One system's version of some people's identity, aligned with the `who` array it was made for."""

    forenames: np.ndarray
    surname: np.ndarray
    dob: np.ndarray  # days since epoch (a real date; possibly day/month swapped)
    typo: np.ndarray  # bool: a typo was introduced in either name (for tests and the manifest)
    nickname: np.ndarray
    swapped: np.ndarray
    dob_swapped: np.ndarray


def typo(name: str, kind: int, where: float) -> str:
    """A single keying error in `name`: 0 neighbouring key, 1 transposition, 2 deletion, 3 doubled letter."""
    if len(name) < 3:
        return name
    i = 1 + int(where * (len(name) - 2))  # never the first letter: people rarely mistype that
    char = name[i]
    if kind == 0 and char.lower() in _NEIGHBOURS:
        options = _NEIGHBOURS[char.lower()]
        new = options[int(where * 1000) % len(options)]
        return name[:i] + (new.upper() if char.isupper() else new) + name[i + 1 :]
    if kind == 1 and i + 1 < len(name) and name[i + 1] != char:
        return name[:i] + name[i + 1] + char + name[i + 2 :]
    if kind == 2:
        return name[:i] + name[i + 1 :]
    return name[:i] + char + name[i:]


def identity_variant(
    people: People, who: np.ndarray, system: str, noise: NoiseConfig, rng: np.random.Generator
) -> Identity:
    """The identity `system` holds for each person in `who` (local indices; one variant per element)."""
    rates = SYSTEM_NOISE[system]
    n = who.size
    forename = people.forename[who].copy()
    middle = people.middle[who]
    surname = people.surname[who].copy()

    nickname = rng.random(n) < noise.nickname_rate * rates.nickname
    for i in np.flatnonzero(nickname):
        options = NICKNAMES.get(forename[i])
        if options:
            forename[i] = options[int(rng.integers(0, len(options)))]
        else:
            nickname[i] = False

    strip = rng.random(n) < noise.accent_strip_rate * rates.accent_strip
    for i in np.flatnonzero(strip):
        forename[i] = strip_accents(forename[i])
        surname[i] = strip_accents(surname[i])
    # Apostrophes go the same way as accents in systems that keep letters only (O'Brien -> OBrien).
    punct = rng.random(n) < noise.accent_strip_rate * rates.punctuation
    for i in np.flatnonzero(punct):
        if "'" in surname[i]:
            surname[i] = surname[i].replace("'", "" if rng.random() < 0.7 else " ")

    add_middle = (rng.random(n) < noise.middle_name_rate * rates.middle_name) & (middle != "")
    forename[add_middle] = forename[add_middle] + " " + middle[add_middle]

    # Double-barrelled and two-part surnames recorded with one part, or with a space for the hyphen.
    two_part = np.array(["-" in s or " " in s for s in surname], dtype=bool)
    cut = two_part & (rng.random(n) < noise.single_surname_part_rate)
    choice = rng.integers(0, 3, size=n)
    for i in np.flatnonzero(cut):
        parts = surname[i].replace("-", " ").split(" ")
        surname[i] = parts[0] if choice[i] == 0 else parts[-1] if choice[i] == 1 else " ".join(parts)

    made_typo = np.zeros(n, dtype=bool)
    for column in (forename, surname):
        hit = rng.random(n) < noise.typo_rate * rates.typo
        kinds = rng.integers(0, 4, size=n)
        where = rng.random(n)
        for i in np.flatnonzero(hit):
            new = typo(column[i], int(kinds[i]), float(where[i]))
            made_typo[i] |= new != column[i]
            column[i] = new

    swapped = rng.random(n) < noise.name_swap_rate * rates.name_swap
    forename[swapped], surname[swapped] = surname[swapped], forename[swapped].copy()

    dob = people.dob[who].copy()
    y, m, d = ymd(dob)
    can_swap = (d <= 12) & (d != m)
    dob_swapped = can_swap & (rng.random(n) < noise.dob_swap_rate * rates.dob_swap)
    if dob_swapped.any():
        swapped_dates = np.array(
            [
                f"{yy:04d}-{dd:02d}-{mm:02d}"
                for yy, mm, dd in zip(y[dob_swapped], m[dob_swapped], d[dob_swapped])
            ],
            dtype="datetime64[D]",
        )
        dob[dob_swapped] = (swapped_dates - np.datetime64("1970-01-01", "D")).astype(np.int64)
    return Identity(forename, surname, dob, made_typo, nickname, swapped, dob_swapped)


def record_postcodes(
    people: People,
    who: np.ndarray,
    day: np.ndarray,
    postcodes: np.ndarray,
    noise: NoiseConfig,
    rng: np.random.Generator,
    *,
    blank_scale: float = 1.0,
) -> np.ndarray:
    """Home postcode as a system records it on `day`: current (or stale after a move), sometimes blank or
    written without the space or in lower case (all still valid UK postcodes once normalised)."""
    n = who.size
    moved = np.asarray(day) >= people.move_day[who]
    stale = moved & (rng.random(n) < noise.stale_postcode_rate)
    index = np.where(moved & ~stale, people.pc1[who], people.pc0[who])
    out = postcodes[index].copy()
    variant = rng.random(n) < noise.postcode_format_rate
    style = rng.random(n) < 0.5
    for i in np.flatnonzero(variant):
        out[i] = out[i].replace(" ", "") if style[i] else out[i].lower()
    blank = rng.random(n) < noise.postcode_blank_rate * blank_scale
    out[blank] = None
    return out


def choose_defects(n: int, kinds: tuple[str, ...], rate: float, rng: np.random.Generator) -> np.ndarray:
    """Object array: None for a valid row, else the defect kind (`missing:col`, `unknown_code:col`,
    `bad_date:col`, `bad_check:col`) the writer will apply. About `rate` of rows get one."""
    out = np.full(n, None, dtype=object)
    if rate <= 0 or not kinds or n == 0:
        return out
    hit = rng.random(n) < rate
    picks = rng.integers(0, len(kinds), size=n)
    out[hit] = np.array(kinds, dtype=object)[picks[hit]]
    return out
