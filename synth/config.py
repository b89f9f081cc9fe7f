"""Configuration of the synthetic-data generator: size, seed, time window, prevalences and noise rates.

Every number that shapes the synthetic population lives here, with the reason for its default, so a run is fully
described by one `SynthConfig` (which the manifest records). Rates are per year unless stated; the generator scales
them to the configured number of months.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

PERIOD_PATTERN = re.compile(r"^(?P<year>\d{4})-(?P<month>0[1-9]|1[0-2])$")

CENSUS_MONTHS: tuple[int, ...] = (1, 5, 10)
"""School census months: spring (January), summer (May) and autumn (October) censuses."""

DEFAULT_CHUNK_SIZE = 50_000
MAX_MONTHS = 60
"""Five years: the history a VRU's strategic needs assessment looks back over (and the force benchmark builds)."""
"""People generated per chunk: large enough for vectorised numpy, small enough to bound memory at any size."""


@dataclass(frozen=True)
class NoiseConfig:
    """Identifier noise a linker must survive, and the rate of deliberately invalid rows.

    Rates are probabilities per record (or per person-in-a-system where noted). Setting a rate to zero switches the
    noise off; `invalid_row_rate = 0` yields files in which every row is valid against its contract.
    """

    typo_rate: float = 0.025
    """Per name field of a person's record in a system (police scale; other systems scale it down below)."""
    nickname_rate: float = 0.12
    """Police nominals recorded under a nickname or spelling variant (Bob for Robert); other systems less."""
    accent_strip_rate: float = 0.5
    """Systems that cannot store accents write Zoe for Zoë (police, ED); schools keep them."""
    middle_name_rate: float = 0.3
    """Police forenames that include the middle name ('James Robert')."""
    single_surname_part_rate: float = 0.4
    """Double-barrelled or two-part surnames recorded with only one part (or with a space for the hyphen)."""
    name_swap_rate: float = 0.008
    """Forename and surname entered the wrong way round."""
    dob_swap_rate: float = 0.008
    """Day and month of birth swapped (only where the result is still a real date, as a system would accept)."""
    nhs_missing_rate: float = 0.15
    """ED attendances without an NHS number (unidentified or untraced patients)."""
    upn_temporary_rate: float = 0.02
    """Exclusion records keyed under a temporary UPN because the permanent one was not known (DfE format)."""
    postcode_blank_rate: float = 0.03
    postcode_format_rate: float = 0.02
    """Postcodes written without the space or in lower case (valid once normalised)."""
    stale_postcode_rate: float = 0.3
    """After a move, records that still carry the old postcode (systems update addresses late)."""
    duplicate_nominal_rate: float = 0.05
    """People with several police records, some of them under a second nominal record the force never merged."""
    multiline_field_rate: float = 0.002
    """ED rows whose forename field contains a line break (pasted from the PAS), quoted in the CSV."""
    invalid_row_rate: float = 0.005
    """Rows with a defect validation must reject: bad check digit, unknown code, missing required value, bad date."""


@dataclass(frozen=True)
class PrevalenceConfig:
    """How common each kind of event is. Defaults follow published England and Wales figures where known.

    Per-1,000 rates are per resident per year. Police violence ~ 30/1,000 (recorded violence against the person
    ~ 35/1,000 nationally); ED assault attendances ~ 4.5/1,000; suspensions ~ 9 per 100 pupils a year (DfE 2022/23).
    """

    police_violence_per_1000: float = 30.0
    police_other_crime_per_1000: float = 40.0
    police_weapon_possession_per_1000: float = 0.8
    police_assault_emergency_worker_per_1000: float = 0.6
    police_exploitation_per_1000: float = 0.4
    """Exploitation occurrences in which a child is recorded as a missing person."""
    domestic_abuse_share: float = 0.33
    """Share of person-victim violence that is domestic abuse (about a third nationally)."""
    child_present_share: float = 0.55
    """Domestic-abuse occurrences in a household with children where a child was present."""
    suspect_identified_share: float = 0.6
    witness_share: float = 0.2
    ed_injury_per_1000: float = 60.0
    ed_self_harm_per_1000: float = 3.0
    ed_assault_per_1000: float = 4.5
    ed_police_gap: float = 0.70
    """Share of ED assault attendances never in police data for that incident (60-80% in published studies)."""
    istv_completeness: float = 1.0
    """Share of ED assault attendances with an ISTV record (reception staff sometimes skip the questions)."""
    probation_share_of_adults: float = 0.005
    """Adults on the probation caseload at any time (~ 0.5% in England and Wales)."""
    prior_record_share_of_adults: float = 0.10
    """Adults with a PNC record from before the window."""
    gang_share_young_males: float = 0.01
    """Males aged 14-30 carrying a gang-association marker."""
    state_school_share: float = 0.93
    """Children of school age on the roll of a state school (in the census); the rest independent or home."""
    sen_support_share: float = 0.13
    ehc_plan_share: float = 0.045
    fsm_share: float = 0.24
    child_in_need_share: float = 0.03
    child_protection_share: float = 0.005
    looked_after_share: float = 0.007
    mean_absence_rate: float = 0.065
    suspensions_per_100_pupils: float = 9.0
    permanent_exclusions_per_100_pupils: float = 0.1
    household_move_share: float = 0.09
    """Households moving address in a year (within the area)."""


@dataclass(frozen=True)
class SynthConfig:
    """One synthetic run. Same config (including seed) ⇒ byte-identical output."""

    people: int = 20_000
    seed: int = 42
    months: int = 12
    end_period: str = "2026-10"
    chunk_size: int = DEFAULT_CHUNK_SIZE
    noise: NoiseConfig = field(default_factory=NoiseConfig)
    prevalence: PrevalenceConfig = field(default_factory=PrevalenceConfig)

    def __post_init__(self) -> None:
        if self.people < 200:
            raise ValueError("people must be at least 200 (an area needs a few LSOAs of residents)")
        if self.people > 9_000_000:
            raise ValueError("people must be at most 9,000,000 (identifier spaces are sized for that)")
        if not 1 <= self.months <= MAX_MONTHS:
            raise ValueError(f"months must be between 1 and {MAX_MONTHS}")
        if not PERIOD_PATTERN.match(self.end_period):
            raise ValueError(f"end_period must look like YYYY-MM, got {self.end_period!r}")
        if self.chunk_size < 1_000:
            raise ValueError("chunk_size must be at least 1,000")
        for group in (self.noise, self.prevalence):
            for f in dataclasses.fields(group):
                value = getattr(group, f.name)
                if f.name.endswith(("_rate", "_share", "_gap", "completeness")) and not 0.0 <= value <= 1.0:
                    raise ValueError(f"{f.name} must be between 0 and 1, got {value}")
                if value < 0:
                    raise ValueError(f"{f.name} must not be negative, got {value}")

    @property
    def window(self) -> Window:
        return Window.ending(self.end_period, self.months)

    def as_dict(self) -> dict[str, Any]:
        """Plain-data view for the manifest."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Window:
    """The months covered by a run: monthly periods `YYYY-MM`, first day of the first to last day of the last."""

    periods: tuple[str, ...]
    start: dt.date
    end: dt.date

    @classmethod
    def ending(cls, end_period: str, months: int) -> Window:
        match = PERIOD_PATTERN.match(end_period)
        if match is None:
            raise ValueError(f"period must look like YYYY-MM, got {end_period!r}")
        year, month = int(match["year"]), int(match["month"])
        index = year * 12 + (month - 1)
        periods = tuple(f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - months + 1, index + 1))
        first_year, first_month = divmod(index - months + 1, 12)
        start = dt.date(first_year, first_month + 1, 1)
        next_year, next_month = divmod(index + 1, 12)
        end = dt.date(next_year, next_month + 1, 1) - dt.timedelta(days=1)
        return cls(periods=periods, start=start, end=end)

    @property
    def census_periods(self) -> tuple[str, ...]:
        """Termly school-census periods inside the window (January, May and October)."""
        return tuple(p for p in self.periods if int(p[5:]) in CENSUS_MONTHS)

    @property
    def years_covered(self) -> float:
        return len(self.periods) / 12.0


def period_end(period: str) -> dt.date:
    """Last day of the month `YYYY-MM`."""
    year, month = int(period[:4]), int(period[5:])
    next_year, next_month = divmod(year * 12 + month, 12)
    return dt.date(next_year, next_month + 1, 1) - dt.timedelta(days=1)


def census_date(period: str) -> dt.date:
    """Census day of a census period: the third Thursday of the month (the DfE convention)."""
    year, month = int(period[:4]), int(period[5:])
    first = dt.date(year, month, 1)
    first_thursday = first + dt.timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + dt.timedelta(days=14)


def academic_year_start(day: dt.date) -> int:
    """Calendar year in which the academic year containing `day` began (September start)."""
    return day.year if day.month >= 9 else day.year - 1
