"""School pupils: the termly census (attendance, SEN, FSM, children's-services flags) and suspensions/exclusions.

Pupils are residents of compulsory school age (Reception to Year 11) on the roll of a state school. Flags are
drawn by rank on latent scores that mix the person's risk, the household's circumstances and deprivation, so
FSM, SEN/SEMH, children in need, persistent absence and suspensions cluster in the same children, as the
evidence says they do. Exclusions raise the child's chance of later violent victimisation (returned to the police
generator as `victim_boost`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from synth.area import Area
from synth.checkdigits import make_upns, temporary_upn
from synth.config import SynthConfig, academic_year_start, census_date
from synth.ids import IdentifierAllocator
from synth.lives.common import Clock, EducationSignals, date_series, pick, to_frame
from synth.noise import choose_defects, identity_variant, record_postcodes
from synth.people import MALE, People, days, ymd

OTHER_LA_NUMBERS = (204, 330, 341, 352, 855, 873, 926, 938)
"""LA numbers of pupils whose UPN was allocated elsewhere before they moved in (valid DfE LA codes)."""

_NEEDS_K = (
    ("SLCN", 25),
    ("SEMH", 20),
    ("MLD", 14),
    ("SPLD", 13),
    ("ASD", 10),
    ("OTH", 5),
    ("NSA", 3),
    ("PD", 3),
    ("HI", 2),
    ("VI", 1),
    ("SLD", 2),
    ("MSI", 0.5),
    ("PMLD", 0.5),
)
_NEEDS_E = (
    ("ASD", 35),
    ("SEMH", 15),
    ("SLCN", 15),
    ("SLD", 7),
    ("MLD", 5),
    ("PMLD", 2),
    ("PD", 4),
    ("HI", 2),
    ("VI", 1),
    ("MSI", 0.5),
    ("SPLD", 2),
    ("OTH", 3),
)
_REASONS = (
    ("DB", 35),
    ("PA", 12),
    ("VA", 12),
    ("PP", 10),
    ("VP", 6),
    ("DM", 4),
    ("OW", 2),
    ("BU", 2),
    ("TH", 1),
    ("DA", 1),
    ("RA", 1),
    ("LG", 0.5),
    ("SM", 0.5),
    ("MT", 1),
    ("WP", 0.5),
    ("OT", 11),
)
_PERMANENT_REASONS = (("PA", 25), ("PP", 20), ("DB", 25), ("OW", 12), ("DM", 10), ("VA", 5), ("OT", 3))
SUSPENSIONS_PER_SUSPENDED_PUPIL = 3.4
MAX_SUSPENSIONS = 20
_POSSIBLE_SESSIONS = {1: 140, 5: 120, 10: 130}  # the census reports the term before: autumn, spring, summer


@dataclass
class EducationResult:
    census: dict[str, pl.DataFrame]  # period -> canonical census rows
    exclusions: pl.DataFrame
    signals: EducationSignals
    stats: dict[str, float] = field(default_factory=dict)


def _school_days(start: int, end: int) -> np.ndarray:
    """Term-time weekdays: no weekends, August, Christmas fortnight or the first half of April (Easter)."""
    day = np.arange(start, end + 1)
    _, month, dom = ymd(day)
    weekday = (day + 3) % 7
    holiday = (
        (month == 8)
        | ((month == 12) & (dom >= 20))
        | ((month == 1) & (dom <= 3))
        | ((month == 4) & (dom <= 14))
    )
    return day[(weekday < 5) & ~holiday]


def _days_on_roll(
    rng: np.random.Generator,
    who: np.ndarray,
    on_roll_ay: np.ndarray,
    days_in_ay: np.ndarray,
    day_ay: np.ndarray,
    years_ay: np.ndarray,
    school_days: np.ndarray,
) -> np.ndarray:
    """A school day on which each pupil in `who` is on roll (uniform over the pupil's on-roll school days)."""
    out = np.empty(who.size, dtype=np.int64)
    if who.size == 0:
        return out
    weights = on_roll_ay[who] * days_in_ay[None, :]
    cumulative = np.cumsum(weights, axis=1)
    u = rng.random(who.size) * cumulative[:, -1]
    ay_index = (u[:, None] >= cumulative).sum(axis=1)
    for a, year in enumerate(years_ay):
        mask = ay_index == a
        days = school_days[day_ay == year]
        out[mask] = days[rng.integers(0, days.size, size=int(mask.sum()))]
    return out


def _rank_top(score: np.ndarray, share: float) -> np.ndarray:
    """Boolean mask of the top `share` of `score` (exact count, ties broken by position)."""
    count = round(share * score.size)
    out = np.zeros(score.size, dtype=bool)
    if count:
        out[np.argsort(-score, kind="stable")[:count]] = True
    return out


def education_events(
    config: SynthConfig,
    area: Area,
    people: People,
    allocator: IdentifierAllocator,
    rng: np.random.Generator,
) -> EducationResult:
    prev = config.prevalence
    window = config.window
    clock = Clock(config)
    by, bm, _ = ymd(people.dob)
    # Academic age: age on 31 August; Reception starts in the September after the 4th birthday.
    reception_year = by + 4 + (bm >= 9)
    first_ay = academic_year_start(window.start)
    last_ay = academic_year_start(window.end)
    eligible = (reception_year <= last_ay) & (reception_year + 11 >= first_ay)
    on_roll = eligible & (rng.random(people.n) < prev.state_school_share)
    pupils = np.flatnonzero(on_roll)
    n = pupils.size
    signals = EducationSignals(victim_boost=np.ones(people.n), cin_or_lac=np.zeros(people.n, dtype=bool))
    if n == 0:
        return EducationResult({}, _empty_exclusions(), signals)

    risk = people.risk[pupils]
    male = people.sex[pupils] == MALE
    hh = people.household[pupils]
    hh_risk = np.bincount(people.household, weights=people.risk) / np.maximum(
        np.bincount(people.household), 1
    )
    deprivation = (5.5 - area.lsoa_decile[people.lsoa0[pupils]]) / 4.5

    # --- flags, by rank on latent scores
    sen_score = 0.6 * risk + 0.5 * male + rng.normal(size=n)
    ehc = _rank_top(sen_score, prev.ehc_plan_share)
    support = _rank_top(np.where(ehc, -np.inf, sen_score), prev.sen_support_share)
    sen = np.where(ehc, "E", np.where(support, "K", "N")).astype(object)
    need = np.full(n, None, dtype=object)
    for mask, table in ((support, _NEEDS_K), (ehc, _NEEDS_E)):
        need[mask] = pick(rng, tuple(t[0] for t in table), tuple(t[1] for t in table), int(mask.sum()))
    semh_push = support & (risk > 1.0) & (rng.random(n) < 0.35)
    need[semh_push] = "SEMH"
    fsm_household = hh_risk + rng.normal(0, 0.6, size=hh_risk.size)
    fsm = _rank_top(fsm_household[hh] + 0.8 * deprivation, prev.fsm_share)
    cin_score = 1.2 * risk + 0.6 * hh_risk[hh] + rng.normal(0, 0.8, size=n)
    cin = _rank_top(cin_score, prev.child_in_need_share)
    cpp = _rank_top(np.where(cin, cin_score, -np.inf), prev.child_protection_share)
    lac = _rank_top(cin_score + rng.normal(0, 0.8, size=n), prev.looked_after_share)
    cin = cin | lac

    # --- UPN: allocated by the primary school at Reception (or elsewhere, for pupils who moved in)
    primary = area.lsoa_primary[people.lsoa0[pupils]]
    secondary = area.lsoa_secondary[people.lsoa0[pupils]]
    la = area.lsoa_la[people.lsoa0[pupils]]
    moved_school = rng.random(n) < 0.1
    # Some pupils travel to a secondary school other than their nearest (including one in the other LA).
    any_secondary = np.flatnonzero(area.school_phase == "secondary")
    secondary = np.where(moved_school, any_secondary[rng.integers(0, any_secondary.size, size=n)], secondary)
    from_elsewhere = rng.random(n) < 0.12
    la_number = np.where(
        from_elsewhere,
        np.array(OTHER_LA_NUMBERS)[rng.integers(0, len(OTHER_LA_NUMBERS), size=n)],
        np.array([area.las[i].dfe_number for i in la]),
    )
    estab = np.where(from_elsewhere, rng.integers(2000, 3000, size=n), area.school_estab[primary])
    alloc_year = reception_year[pupils]
    serials = allocator.upn_serials(rng, la_number, estab, alloc_year)
    upn = make_upns(la_number, estab, alloc_year, serials)

    # --- absence propensity: a heavy-tailed rate per pupil, higher with risk, FSM, SEN and CIN
    mu = np.exp(0.45 * risk + 0.35 * fsm + 0.3 * (sen != "N") + 0.5 * cin)
    mu = np.clip(prev.mean_absence_rate * mu / mu.mean(), 0.005, 0.8)
    concentration = 5.0
    absence = rng.beta(mu * concentration, (1 - mu) * concentration)

    # --- suspensions and permanent exclusions, in proportion to each pupil's time on roll in the window
    school_days = _school_days(clock.start, clock.end)
    day_years, day_months, _ = ymd(school_days)
    day_ay = day_years - (day_months < 9)
    years_ay, days_in_ay = np.unique(day_ay, return_counts=True)
    on_roll_ay = (years_ay[None, :] - reception_year[pupils][:, None] >= 0) & (
        years_ay[None, :] - reception_year[pupils][:, None] <= 11
    )
    days_per_year = max(school_days.size / clock.years, 1.0)
    exposure = (on_roll_ay * days_in_ay[None, :]).sum(axis=1) / days_per_year  # pupil-years in the window
    nc_at_start = academic_year_start(window.start) - reception_year[pupils]
    secondary_phase = nc_at_start >= 6
    weight = (
        np.where(secondary_phase, 5.0, 1.0)
        * np.where(male, 2.5, 1.0)
        * np.select([ehc, support], [3.0, 2.5], 1.0)
        * np.where(need == "SEMH", 2.0, 1.0)
        * np.where(fsm, 2.0, 1.0)
        * np.where(cin, 2.0, 1.0)
        * np.exp(1.0 * risk)
        * np.where(people.gang[pupils], 3.0, 1.0)
        * rng.gamma(0.5, 2.0, size=n)
    )
    pupil_years = float(exposure.sum())
    expected = prev.suspensions_per_100_pupils / 100.0 * pupil_years
    exposed_weight = weight * exposure
    # DfE: about 3.4 suspensions per suspended pupil. Choose who is suspended by weight, then how often.
    n_suspended = min(
        int(rng.poisson(expected / SUSPENSIONS_PER_SUSPENDED_PUPIL)), int((exposed_weight > 0).sum())
    )
    suspended = (
        rng.choice(n, size=n_suspended, replace=False, p=exposed_weight / exposed_weight.sum())
        if n_suspended
        else np.empty(0, dtype=np.int64)
    )
    suspensions = np.zeros(n, dtype=np.int64)
    # Repeats scale with the pupil's time on roll (relative to the average), with a gamma spread between pupils.
    on_roll = np.minimum(exposure[suspended], 1.0)
    relative = on_roll / on_roll.mean() if suspended.size else on_roll
    extra = rng.poisson(
        (SUSPENSIONS_PER_SUSPENDED_PUPIL - 1) * rng.gamma(2.0, 0.5, size=suspended.size) * relative
    )
    suspensions[suspended] = np.minimum(1 + extra, MAX_SUSPENSIONS)
    susp_pupil = np.repeat(np.arange(n), suspensions)
    susp_day = _days_on_roll(rng, susp_pupil, on_roll_ay, days_in_ay, day_ay, years_ay, school_days)
    reason = pick(rng, tuple(r[0] for r in _REASONS), tuple(r[1] for r in _REASONS), susp_pupil.size)
    weapon = people.gang[pupils[susp_pupil]] & (rng.random(susp_pupil.size) < 0.3)
    reason[weapon] = "OW"
    sessions = rng.choice([1, 2, 2, 3, 4, 4, 5, 6, 8, 10], size=susp_pupil.size)

    k_perm = int(rng.poisson(prev.permanent_exclusions_per_100_pupils / 100.0 * pupil_years))
    perm_weight = weight**1.5 * (1 + 3 * suspensions) * secondary_phase * exposure
    perm_pupil = (
        np.unique(
            rng.choice(
                n,
                size=min(k_perm, int((perm_weight > 0).sum())),
                replace=False,
                p=perm_weight / perm_weight.sum(),
            )
        )
        if k_perm and perm_weight.sum() > 0
        else np.empty(0, dtype=np.int64)
    )
    perm_day = _days_on_roll(rng, perm_pupil, on_roll_ay, days_in_ay, day_ay, years_ay, school_days)
    perm_reason = pick(
        rng, tuple(r[0] for r in _PERMANENT_REASONS), tuple(r[1] for r in _PERMANENT_REASONS), perm_pupil.size
    )
    excluded_on = np.full(n, 10**7, dtype=np.int64)
    excluded_on[perm_pupil] = perm_day

    # A suspension or exclusion raises the chance of violent victimisation (and flags the child to police).
    boost = 1.0 + 1.5 * (suspensions > 0)
    boost[perm_pupil] += 3.0
    signals.victim_boost[pupils] = boost
    signals.cin_or_lac[pupils] = cin | lac

    ident = identity_variant(people, pupils, "education", config.noise, rng)

    def school_on(day: int, ay: int) -> np.ndarray:
        nc = ay - reception_year[pupils]
        school = np.where(nc <= 6, primary, secondary)
        pru = area.pru_of_la(la)
        return np.where(excluded_on < day, pru, school)

    census: dict[str, pl.DataFrame] = {}
    for period in window.census_periods:
        cday = census_date(period)
        ay = academic_year_start(cday)
        nc = ay - reception_year[pupils]
        present = (nc >= 0) & (nc <= 11)
        idx = np.flatnonzero(present)
        m = idx.size
        day = np.full(m, days(cday))
        school = school_on(days(cday), ay)[idx]
        possible = _POSSIBLE_SESSIONS[int(period[5:])] - rng.integers(0, 6, size=m)
        term_rate = np.clip(absence[idx] * rng.gamma(6.0, 1 / 6.0, size=m), 0, 1)
        missed = rng.binomial(possible, term_rate)
        defects = choose_defects(
            m,
            ("bad_check:upn", "missing:upn", "missing:surname", "unknown_code:sex", "bad_date:date_of_birth"),
            config.noise.invalid_row_rate,
            rng,
        )
        sex = np.where(people.sex[pupils[idx]] == MALE, "M", "F").astype(object)
        census[period] = to_frame(
            {
                "_pid": people.pid[pupils[idx]],
                "_period": np.full(m, period, dtype=object),
                "upn": upn[idx],
                "surname": ident.surname[idx],
                "forenames": ident.forenames[idx],
                "date_of_birth": date_series(ident.dob[idx]),
                "sex": sex,
                "postcode": record_postcodes(
                    people, pupils[idx], day, area.postcode, config.noise, rng, blank_scale=0.3
                ),
                "school_urn": area.school_urn[school],
                "possible_sessions": possible.astype(np.int64),
                "sessions_missed": missed.astype(np.int64),
                "sen_provision": sen[idx],
                "sen_primary_need": need[idx],
                "fsm_eligible": fsm[idx],
                "child_in_need": cin[idx],
                "child_protection_plan": cpp[idx],
                "looked_after": lac[idx],
                "_defect": defects,
            },
            schema_overrides={"postcode": pl.String, "sen_primary_need": pl.String, "_defect": pl.String},
        )

    # --- the exclusions file: suspensions and permanent exclusions inside the window
    ex_pupil = np.concatenate([susp_pupil, perm_pupil])
    ex_day = np.concatenate([susp_day, perm_day]).astype(np.int64)
    category = np.concatenate(
        [np.full(susp_pupil.size, "suspension", object), np.full(perm_pupil.size, "permanent", object)]
    )
    ex_reason = np.concatenate([reason, perm_reason])
    ex_sessions = np.concatenate([sessions, np.full(perm_pupil.size, -1)])
    # The same pupil cannot start two exclusions of one category on one day (the record key).
    key = ex_pupil.astype(np.int64) * 10**8 + ex_day * 2 + (category == "permanent")
    _, first = np.unique(key, return_index=True)
    first = np.sort(first)
    ex_pupil, ex_day, category, ex_reason, ex_sessions = (
        a[first] for a in (ex_pupil, ex_day, category, ex_reason, ex_sessions)
    )
    ay_at = np.array(
        [academic_year_start(dt.date(1970, 1, 1) + dt.timedelta(days=int(d))) for d in ex_day], dtype=np.int64
    )
    nc_at = ay_at - reception_year[pupils[ex_pupil]]
    # Only pupils on roll that day (Year 11 leave in the summer; four-year-olds have not started).
    on = (nc_at >= 0) & (nc_at <= 11)
    ex_pupil, ex_day, category, ex_reason, ex_sessions, ay_at, nc_at = (
        a[on] for a in (ex_pupil, ex_day, category, ex_reason, ex_sessions, ay_at, nc_at)
    )
    k = ex_pupil.size
    school = np.where(nc_at <= 6, primary[ex_pupil], secondary[ex_pupil])
    temp = rng.random(k) < config.noise.upn_temporary_rate
    ex_upn = upn[ex_pupil].copy()
    for i in np.flatnonzero(temp):
        ex_upn[i] = temporary_upn(
            rng, int(la_number[ex_pupil[i]]), int(area.school_estab[school[i]]), int(ay_at[i])
        )
    defects = choose_defects(
        k,
        (
            "bad_check:upn",
            "missing:upn",
            "unknown_code:reason_code",
            "missing:school_urn",
            "bad_date:start_date",
        ),
        config.noise.invalid_row_rate,
        rng,
    )
    exclusions = to_frame(
        {
            "_pid": people.pid[pupils[ex_pupil]],
            "_period": clock.periods(ex_day),
            "_sort": ex_day * 10**7 + rng.integers(0, 10**7, size=k),
            "upn": ex_upn,
            "surname": ident.surname[ex_pupil],
            "forenames": ident.forenames[ex_pupil],
            "date_of_birth": date_series(ident.dob[ex_pupil]),
            "school_urn": area.school_urn[school],
            "category": category,
            "start_date": date_series(ex_day),
            "sessions": pl.Series(np.where(ex_sessions < 0, None, ex_sessions).tolist(), dtype=pl.Int64),
            "reason_code": ex_reason,
            "_defect": defects,
        },
        schema_overrides={"_defect": pl.String},
    )
    on_roll_any = sum(int(f.height) for f in census.values())
    stats = {
        "pupils_on_roll": float(n),
        "pupil_years": pupil_years,
        "census_rows": float(on_roll_any),
        "pupils_with_suspension": float(np.unique(ex_pupil[category == "suspension"]).size),
        "suspensions": float((category == "suspension").sum()),
        "permanent_exclusions": float((category == "permanent").sum()),
        "pupils_fsm": float(fsm.sum()),
        "pupils_sen_support": float(support.sum()),
        "pupils_ehc_plan": float(ehc.sum()),
        "pupils_semh": float((need == "SEMH").sum()),
        "pupils_cin": float(cin.sum()),
        "pupils_cpp": float(cpp.sum()),
        "pupils_lac": float(lac.sum()),
        "pupils_persistent_absence": float((absence >= 0.1).sum()),
        "pupils_severe_absence": float((absence >= 0.5).sum()),
        "exclusion_rows_temporary_upn": float(temp.sum()),
    }
    return EducationResult(census=census, exclusions=exclusions, signals=signals, stats=stats)


def _empty_exclusions() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "_pid": pl.Int64,
            "_period": pl.String,
            "_sort": pl.Int64,
            "upn": pl.String,
            "surname": pl.String,
            "forenames": pl.String,
            "date_of_birth": pl.Date,
            "school_urn": pl.String,
            "category": pl.String,
            "start_date": pl.Date,
            "sessions": pl.Int64,
            "reason_code": pl.String,
            "_defect": pl.String,
        }
    )
