"""Helpers shared by the event generators: counts, weighted draws, days and times of day, and event ids."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from synth.config import SynthConfig
from synth.people import days

# Hour-of-day weights (00..23) for when things happen.
HOURS_NIGHT_ECONOMY = np.array(
    [5, 4, 3, 2, 1, 1, 1, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 5, 6, 7, 8, 9, 9, 7], dtype=float
)
HOURS_DOMESTIC = np.array(
    [3, 2, 2, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 5, 6, 7, 8, 8, 7, 5], dtype=float
)
HOURS_DAYTIME = np.array(
    [1, 1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 6, 6, 6, 6, 5, 4, 3, 3, 2, 2, 1], dtype=float
)

INCIDENT_BLOCK = 10**9
"""Incident ids are `chunk * INCIDENT_BLOCK + offset`: unique over the run without coordination."""


@dataclass
class EducationSignals:
    """What the education generator tells the others about each resident of the chunk."""

    victim_boost: np.ndarray
    """Multiplier of violent-victimisation propensity (suspended or excluded pupils are victimised more)."""
    cin_or_lac: np.ndarray
    """Child in need or looked after (raises the risk of exploitation and going missing)."""


class Clock:
    """The run's window as day numbers, with samplers for event days and times."""

    def __init__(self, config: SynthConfig) -> None:
        window = config.window
        self.start = days(window.start)
        self.end = days(window.end)
        self.years = window.years_covered
        self.window_days = np.arange(self.start, self.end + 1)
        weekday = (self.window_days + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
        self._weekend = np.where(weekday >= 4, 1.5, 1.0)  # Friday, Saturday and Sunday nights are busier
        self._weekend /= self._weekend.sum()
        self.period_of_month = {}
        for period in window.periods:
            first = dt.date(int(period[:4]), int(period[5:]), 1)
            self.period_of_month[days(first)] = period

    def uniform_days(
        self, rng: np.random.Generator, n: int, *, before: int = 0, after: int = 0
    ) -> np.ndarray:
        """Days spread evenly over the window, optionally extended `before` days earlier / shortened at the end."""
        return rng.integers(self.start - before, self.end + 1 - after, size=n)

    def night_days(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Days weighted towards weekends (night-time economy violence)."""
        return rng.choice(self.window_days, size=n, p=self._weekend)

    def in_window(self, day: np.ndarray) -> np.ndarray:
        return (day >= self.start) & (day <= self.end)

    def periods(self, day: np.ndarray) -> np.ndarray:
        """`YYYY-MM` of each day (days outside the window get their own month label too)."""
        months = (np.datetime64("1970-01-01", "D") + np.asarray(day).astype("timedelta64[D]")).astype(
            "datetime64[M]"
        )
        return np.datetime_as_string(months, unit="M").astype(object)


def minutes_of_day(rng: np.random.Generator, n: int, hours: np.ndarray) -> np.ndarray:
    """Minutes after midnight drawn from an hour-of-day profile."""
    hour = rng.choice(24, size=n, p=hours / hours.sum())
    return hour * 60 + rng.integers(0, 60, size=n)


def poisson_count(rng: np.random.Generator, rate_per_1000: float, people: int, years: float) -> int:
    return int(rng.poisson(rate_per_1000 / 1000.0 * people * years))


def weighted_choice(
    rng: np.random.Generator, candidates: np.ndarray, weights: np.ndarray, n: int, *, replace: bool = True
) -> np.ndarray:
    """`n` draws from `candidates` proportional to `weights` (fewer when sampling without replacement runs out)."""
    if n <= 0 or candidates.size == 0:
        return np.empty(0, dtype=np.int64)
    weights = np.asarray(weights, dtype=float)
    total = weights.sum()
    if total <= 0:
        weights = np.ones(candidates.size)
        total = float(candidates.size)
    if not replace:
        n = min(n, int((weights > 0).sum()))
    return rng.choice(candidates, size=n, replace=replace, p=weights / total)


def pick(
    rng: np.random.Generator, options: tuple[str, ...], weights: tuple[float, ...], n: int
) -> np.ndarray:
    """`n` draws from a small categorical distribution, as an object array of the option strings."""
    p = np.asarray(weights, dtype=float)
    return np.array(options, dtype=object)[rng.choice(len(options), size=n, p=p / p.sum())]


def clock_text(minutes: np.ndarray, seconds: np.ndarray | None = None) -> np.ndarray:
    """'HH:MM' (or 'HH:MM:SS' when `seconds` are given) for minutes after midnight."""
    minutes = np.asarray(minutes, dtype=np.int64) % 1440
    if seconds is None:
        return np.array([f"{m // 60:02d}:{m % 60:02d}" for m in minutes], dtype=object)
    return np.array(
        [f"{m // 60:02d}:{m % 60:02d}:{s:02d}" for m, s in zip(minutes, seconds, strict=True)], dtype=object
    )


def date_series(day_numbers: np.ndarray, missing: np.ndarray | None = None) -> pl.Series:
    """A polars Date series from day numbers, null where `missing` is true."""
    values = pl.Series(np.asarray(day_numbers, dtype=np.int32))
    if missing is not None:
        values = values.scatter(np.flatnonzero(missing), None)
    return values.cast(pl.Date)


def to_frame(
    columns: dict[str, object], schema_overrides: dict[str, pl.DataType] | None = None
) -> pl.DataFrame:
    """A polars frame from numpy arrays; object arrays (strings with None) go in as lists so nulls survive."""
    data = {}
    for name, values in columns.items():
        if isinstance(values, np.ndarray) and values.dtype == object:
            values = values.tolist()
        data[name] = values
    return pl.DataFrame(data, schema_overrides=schema_overrides)
