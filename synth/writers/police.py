"""Police RMS exports: occurrences and nominals, comma-separated UTF-8, dates dd/mm/yyyy, one file a month.

Occurrence references (`FF/NNNNNN/YY`: force code, serial, year of recording) are issued here in recording order,
so serials rise through the year across the monthly files as in a real force. Nominals are listed under their
occurrence, victims first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from synth.lives.police import FORCE_CODE
from synth.writers.common import FeedStyle, render, write_delimited

OCCURRENCES = FeedStyle("police_occurrences", "csv", unknown_codes={"ho_code": "99Z"})
NOMINALS = FeedStyle(
    "police_nominals",
    "csv",
    variants={
        "role": {
            "victim": "Victim",
            "suspect": "Suspect",
            "offender": "Offender",
            "witness": "Witness",
            "missing": "Missing Person",
        },
        "sex": {"M": "Male", "F": "Female", "U": "Unknown"},
    },
    unknown_codes={"role": "Informant", "sex": "Q"},
)


@dataclass
class PoliceState:
    """Carried from month to month: the next serial per recording year, and each month's references."""

    serial_by_year: dict[int, int] = field(default_factory=dict)
    refs: dict[str, pl.DataFrame] = field(default_factory=dict)


def order_occurrences(frame: pl.DataFrame, period: str, state: PoliceState) -> pl.DataFrame:
    """Sort by recording time and issue occurrence references."""
    frame = frame.sort(["_sort", "_occ"])
    years = (frame["recorded_date"].dt.year() % 100).to_list()
    refs = []
    for yy in years:
        serial = state.serial_by_year.get(yy, 0) + 1
        state.serial_by_year[yy] = serial
        refs.append(f"{FORCE_CODE}/{serial:06d}/{yy:02d}")
    frame = frame.with_columns(pl.Series("occurrence_ref", refs, dtype=pl.String))
    state.refs[period] = frame.select("_occ", "occurrence_ref").with_row_index("_rank")
    return frame


def order_nominals(frame: pl.DataFrame, period: str, state: PoliceState) -> pl.DataFrame:
    """Attach each nominal to its occurrence's reference (written for the same month) and sort under it."""
    if period not in state.refs:
        raise RuntimeError("occurrences must be ordered before their nominals")
    joined = frame.join(state.refs.pop(period), on="_occ", how="left")
    if joined["occurrence_ref"].null_count():
        raise RuntimeError("a nominal refers to an occurrence not in the same month's file")
    return joined.sort(["_rank", "_role_rank", "nominal_id"])


def write_occurrences(frame: pl.DataFrame, path: Path) -> None:
    write_delimited(render(frame, OCCURRENCES), OCCURRENCES, path)


def write_nominals(frame: pl.DataFrame, path: Path) -> None:
    write_delimited(render(frame, NOMINALS), NOMINALS, path)
