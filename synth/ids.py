"""Identifiers that must be unique across the whole run, allocated chunk by chunk.

Identifiers are drawn at random (never computed from the synthetic person's id, so nothing in a partner file
reveals the truth) from spaces much larger than the population, and a drawer remembers what it has issued so no
value is ever issued twice. Chunks are generated in order, so allocation is deterministic for a seed.
"""

from __future__ import annotations

import numpy as np

from synth.checkdigits import make_cro_numbers, make_pnc_ids, nhs_check_digits


class UniqueIntDrawer:
    """Draws integers from `[0, space)` that this drawer has never returned before.

    Guarantees: values are unique over the drawer's lifetime; the sequence depends only on the generator states
    passed in. Memory is one sorted int64 per issued value.
    """

    def __init__(self, space: int) -> None:
        if space <= 0:
            raise ValueError("space must be positive")
        self.space = space
        self._used = np.empty(0, dtype=np.int64)

    @property
    def issued(self) -> int:
        return int(self._used.size)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if n < 0:
            raise ValueError("n must not be negative")
        if self._used.size + n > self.space // 2:
            # Rejection sampling slows sharply once the space fills; sizes are chosen so this never happens.
            raise RuntimeError(f"identifier space of {self.space} too small for {self._used.size + n} values")
        taken: list[np.ndarray] = []
        need = n
        while need > 0:
            candidates = rng.integers(0, self.space, size=need + need // 8 + 8, dtype=np.int64)
            _, first = np.unique(candidates, return_index=True)
            candidates = candidates[np.sort(first)]  # distinct, in draw order (keeps determinism obvious)
            position = np.searchsorted(self._used, candidates)
            position = np.minimum(position, max(self._used.size - 1, 0))
            fresh = candidates if self._used.size == 0 else candidates[self._used[position] != candidates]
            fresh = fresh[:need]
            self._used = np.union1d(self._used, fresh)
            taken.append(fresh)
            need -= fresh.size
        return np.concatenate(taken) if taken else np.empty(0, dtype=np.int64)


class IdentifierAllocator:
    """All the run-wide identifier drawers, one per identifier kind.

    NHS numbers come from the range NHS England reserves for testing (`999 000 0000`-`999 999 9999`, never issued
    to a patient), so a synthetic number can never be a real person's. That range holds about 909,000 valid
    numbers; larger populations spill into the next `99x`/`9xx` blocks, which are not issued either.
    """

    NHS_BLOCK = 1_000_000  # 9-digit bodies per 3-digit prefix

    def __init__(self, people: int = 400_000) -> None:
        # Keep each block at most 40% used, so drawing distinct valid numbers stays cheap.
        self._nhs_blocks = max(1, -(-people * 5 // (2 * self.NHS_BLOCK)))
        if self._nhs_blocks > 100:
            raise ValueError("too many people for the never-issued 9xx NHS number ranges")
        self._nhs = UniqueIntDrawer(self._nhs_blocks * self.NHS_BLOCK)
        self._pnc: dict[int, UniqueIntDrawer] = {}
        self._cro: dict[int, UniqueIntDrawer] = {}
        self._crn = UniqueIntDrawer(26 * 1_000_000)
        self._nominal = UniqueIntDrawer(900_000_000)
        self._upn_serials: dict[tuple[int, int, int], UniqueIntDrawer] = {}

    def nhs_numbers(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """`n` distinct valid NHS numbers from the never-issued 9xx ranges (999 first)."""
        bodies: list[np.ndarray] = []
        need = n
        while need > 0:
            raw = self._nhs.draw(rng, need + need // 8 + 4)
            block, suffix = np.divmod(raw, self.NHS_BLOCK)
            body = (999 - block) * self.NHS_BLOCK + suffix
            # Bodies whose check digit would be 10 have no valid number; they stay marked as used.
            body = body[nhs_check_digits(body) >= 0][:need]
            bodies.append(body)
            need -= body.size
        body = np.concatenate(bodies) if bodies else np.empty(0, dtype=np.int64)
        numbers = body * 10 + nhs_check_digits(body)
        return np.char.zfill(numbers.astype(str), 10).astype(object)

    def pnc_ids(self, rng: np.random.Generator, years: np.ndarray) -> np.ndarray:
        """PNC IDs for people first recorded in `years` (7-digit serial unique within a year)."""
        years = np.asarray(years, dtype=np.int64)
        serials = np.zeros(years.size, dtype=np.int64)
        for year in np.unique(years):
            mask = years == year
            drawer = self._pnc.setdefault(int(year), UniqueIntDrawer(10_000_000))
            serials[mask] = drawer.draw(rng, int(mask.sum()))
        return make_pnc_ids(years, serials)

    def cro_numbers(self, rng: np.random.Generator, years: np.ndarray) -> np.ndarray:
        years = np.asarray(years, dtype=np.int64)
        serials = np.zeros(years.size, dtype=np.int64)
        for year in np.unique(years):
            mask = years == year
            drawer = self._cro.setdefault(int(year) % 100, UniqueIntDrawer(1_000_000))
            serials[mask] = drawer.draw(rng, int(mask.sum()))
        return make_cro_numbers(years, serials)

    def crns(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """nDelius case reference numbers: a letter and six digits."""
        raw = self._crn.draw(rng, n)
        letter, number = np.divmod(raw, 1_000_000)
        letters = np.array([chr(ord("A") + i) for i in range(26)], dtype=object)[letter]
        return letters + np.char.zfill(number.astype(str), 6).astype(object)

    def nominal_ids(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """The force's own person identifiers (9-digit numbers)."""
        return (self._nominal.draw(rng, n) + 100_000_000).astype(str).astype(object)

    def upn_serials(
        self, rng: np.random.Generator, la: np.ndarray, estab: np.ndarray, year: np.ndarray
    ) -> np.ndarray:
        """3-digit serials unique within each (LA number, establishment, year) block, as schools allocate them."""
        la, estab, year = (np.asarray(a, dtype=np.int64) for a in (la, estab, year))
        serials = np.zeros(la.size, dtype=np.int64)
        keys = la * 10**8 + estab * 10**3 + year % 100
        for key in np.unique(keys):
            mask = keys == key
            block = (int(key // 10**8), int(key // 10**3 % 10**5), int(key % 10**3))
            drawer = self._upn_serials.setdefault(block, UniqueIntDrawer(1_000))
            serials[mask] = drawer.draw(rng, int(mask.sum()))
        return serials
