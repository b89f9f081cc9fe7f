"""Synthetic residents: households, ages, sexes, names, addresses (with moves), NHS numbers and a latent risk.

People are generated a chunk at a time, household by household, so a household never straddles chunks and every
relationship (partner, parent, child) is inside the chunk that holds it. The latent risk `risk` drives every later
event: it mixes a household component, an individual component and the deprivation of the home LSOA, so agencies
see the same people more often than chance would give (the correlation the marts are meant to reveal).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from synth import names as nm
from synth.area import Area, age_band_index
from synth.config import SynthConfig
from synth.ids import IdentifierAllocator

EPOCH = np.datetime64("1970-01-01", "D")

# Household types and their base shares (ONS household composition, rounded).
SINGLE_YOUNG, SINGLE_MID, SINGLE_OLDER, COUPLE_YOUNG, COUPLE_MID, COUPLE_OLDER = range(6)
COUPLE_KIDS, LONE_PARENT, MULTI_GEN, SHARERS = range(6, 10)
BASE_TYPE_SHARE = np.array([0.08, 0.08, 0.15, 0.05, 0.12, 0.13, 0.17, 0.08, 0.08, 0.06])
# How deprivation (decile 1 most deprived) tilts the mix: more lone parents and young singles, fewer older couples.
DEPRIVED_TILT = np.array([1.3, 1.0, 0.9, 0.9, 0.8, 0.7, 1.0, 1.7, 1.1, 1.2])

ROLE_ADULT, ROLE_PARTNER, ROLE_CHILD, ROLE_OTHER_ADULT = range(4)
MALE, FEMALE = 0, 1


def days(date: dt.date) -> int:
    """Days since 1970-01-01: the integer date representation used throughout the generator."""
    return (date - dt.date(1970, 1, 1)).days


@dataclass
class People:
    """Residents of one chunk, as parallel arrays. Indices into these arrays are 'local' person indices."""

    pid: np.ndarray  # global person number; the truth id is derived from it and never leaves the truth file
    household: np.ndarray  # local household index
    role: np.ndarray
    partner: np.ndarray  # local index of the partner in the household, or -1
    sex: np.ndarray
    dob: np.ndarray  # days since epoch
    age: np.ndarray  # whole years at the window start
    origin: np.ndarray
    forename: np.ndarray
    middle: np.ndarray  # "" when none
    surname: np.ndarray
    lsoa0: np.ndarray
    pc0: np.ndarray
    move_day: np.ndarray  # days since epoch of the move, or a far-future sentinel
    lsoa1: np.ndarray
    pc1: np.ndarray
    risk: np.ndarray
    frailty: np.ndarray
    nhs: np.ndarray
    gang: np.ndarray
    pnc: np.ndarray  # object: PNC ID or None (issued before the window)
    pnc_year: np.ndarray
    cro: np.ndarray
    hh_children: np.ndarray  # number of under-18s in the person's household
    hh_first: np.ndarray  # first local person index of each household
    hh_size: np.ndarray
    hh_type: np.ndarray

    NO_MOVE = 10**6

    @property
    def n(self) -> int:
        return int(self.pid.size)

    def age_at(self, day: np.ndarray | int, who: np.ndarray | None = None) -> np.ndarray:
        """Whole years of age on `day` (days since epoch) for persons `who` (all when None)."""
        dob = self.dob if who is None else self.dob[who]
        born = EPOCH + dob.astype("timedelta64[D]")
        on = EPOCH + np.asarray(day).astype("timedelta64[D]")
        by, bm, bd = _ymd(born)
        oy, om, od = _ymd(on)
        return oy - by - ((om < bm) | ((om == bm) & (od < bd))).astype(np.int64)

    def postcode_at(self, day: np.ndarray, who: np.ndarray) -> np.ndarray:
        """Postcode index of each person's home on each day."""
        return np.where(np.asarray(day) >= self.move_day[who], self.pc1[who], self.pc0[who])

    def lsoa_at(self, day: np.ndarray, who: np.ndarray) -> np.ndarray:
        return np.where(np.asarray(day) >= self.move_day[who], self.lsoa1[who], self.lsoa0[who])


def _ymd(dates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    years = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    months = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    return years, months, day


def ymd(day_numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) arrays of integer day numbers."""
    return _ymd(EPOCH + np.asarray(day_numbers).astype("timedelta64[D]"))


def offending_weight(people: People, who: np.ndarray | None = None) -> np.ndarray:
    """Relative propensity to offend: peaks in the late teens and twenties, 4x for males, steep in risk."""
    idx = np.arange(people.n) if who is None else who
    band = age_band_index(people.age[idx])
    by_band = np.array([0.0, 0.5, 2.5, 3.0, 2.2, 1.2, 0.4, 0.08])
    sex = np.where(people.sex[idx] == MALE, 4.0, 1.0)
    return by_band[band] * sex * np.exp(1.3 * people.risk[idx])


def victim_weight(people: People, who: np.ndarray | None = None) -> np.ndarray:
    """Relative propensity to be a victim of violence: young adults, risk, and a persistent frailty (repeats)."""
    idx = np.arange(people.n) if who is None else who
    band = age_band_index(people.age[idx])
    by_band = np.array([0.15, 0.8, 1.6, 2.0, 1.6, 1.1, 0.6, 0.25])
    return by_band[band] * np.exp(0.9 * people.risk[idx]) * people.frailty[idx]


def make_people(
    config: SynthConfig,
    area: Area,
    allocator: IdentifierAllocator,
    rng: np.random.Generator,
    first_pid: int,
    n: int,
) -> People:
    """Generate exactly `n` residents (global numbers `first_pid ...`) in whole households (the last may be cut)."""
    window = config.window
    start_day = days(window.start)
    n_households = int(np.ceil(n / 2.1)) + 64

    # --- household type, LSOA and size
    hh_lsoa = rng.choice(area.n_lsoa, size=n_households, p=area.lsoa_weight)
    deprived = (10 - area.lsoa_decile[hh_lsoa]) / 9.0  # 1 in decile 1, 0 in decile 10
    shares = BASE_TYPE_SHARE[None, :] * DEPRIVED_TILT[None, :] ** deprived[:, None]
    cumulative = np.cumsum(shares / shares.sum(axis=1, keepdims=True), axis=1)
    hh_type = (rng.random(n_households)[:, None] > cumulative).sum(axis=1)
    hh_type = np.minimum(hh_type, len(BASE_TYPE_SHARE) - 1)
    kids = np.zeros(n_households, dtype=np.int64)
    adults = np.ones(n_households, dtype=np.int64)
    adults[np.isin(hh_type, [COUPLE_YOUNG, COUPLE_MID, COUPLE_OLDER, COUPLE_KIDS, MULTI_GEN])] = 2
    is_t = hh_type == COUPLE_KIDS
    kids[is_t] = rng.choice([1, 2, 3, 4], size=is_t.sum(), p=[0.38, 0.42, 0.15, 0.05])
    is_t = hh_type == LONE_PARENT
    kids[is_t] = rng.choice([1, 2, 3], size=is_t.sum(), p=[0.5, 0.35, 0.15])
    is_t = hh_type == MULTI_GEN
    grown = np.zeros(n_households, dtype=np.int64)
    grown[is_t] = rng.choice([1, 2], size=is_t.sum(), p=[0.6, 0.4])
    kids[is_t] = (rng.random(is_t.sum()) < 0.3).astype(np.int64)
    is_t = hh_type == SHARERS
    adults[is_t] = rng.choice([2, 3, 4], size=is_t.sum(), p=[0.5, 0.35, 0.15])
    size = adults + grown + kids
    total = np.cumsum(size)
    n_households = int(np.searchsorted(total, n) + 1)
    hh_type, hh_lsoa, adults, grown, kids, size = (
        a[:n_households] for a in (hh_type, hh_lsoa, adults, grown, kids, size)
    )

    # --- age of the household's first adult (which anchors partner and children ages)
    age_a = np.empty(n_households)
    for kind, (low, span, a, b) in {
        SINGLE_YOUNG: (18, 27, 1.3, 2.0),
        SINGLE_MID: (45, 20, 1.0, 1.0),
        SINGLE_OLDER: (65, 30, 1.5, 3.0),
        COUPLE_YOUNG: (20, 25, 2.0, 2.0),
        COUPLE_MID: (45, 20, 1.0, 1.0),
        COUPLE_OLDER: (65, 25, 1.5, 2.5),
        COUPLE_KIDS: (24, 28, 2.0, 2.2),
        LONE_PARENT: (19, 33, 2.0, 2.5),
        MULTI_GEN: (45, 19, 1.2, 1.2),
        SHARERS: (18, 17, 1.5, 2.5),
    }.items():
        mask = hh_type == kind
        age_a[mask] = low + span * rng.beta(a, b, size=mask.sum())

    # --- expand to members
    hh_of = np.repeat(np.arange(n_households), size)
    hh_first = np.concatenate([[0], np.cumsum(size)[:-1]])
    pos = np.arange(hh_of.size) - hh_first[hh_of]
    t = hh_type[hh_of]
    n_adults = adults[hh_of]
    n_grown = grown[hh_of]
    couple = np.isin(t, [COUPLE_YOUNG, COUPLE_MID, COUPLE_OLDER, COUPLE_KIDS, MULTI_GEN])
    role = np.full(hh_of.size, ROLE_CHILD, dtype=np.int8)
    role[pos == 0] = ROLE_ADULT
    role[couple & (pos == 1)] = ROLE_PARTNER
    role[(t == SHARERS) & (pos < n_adults)] = ROLE_OTHER_ADULT
    role[(t == MULTI_GEN) & (pos >= 2) & (pos < 2 + n_grown)] = ROLE_OTHER_ADULT

    anchor = age_a[hh_of]
    age = np.empty(hh_of.size)
    m = role == ROLE_ADULT
    age[m] = anchor[m]
    m = role == ROLE_PARTNER
    age[m] = np.maximum(18, anchor[m] + rng.normal(1.5, 3.0, size=m.sum()))
    m = (role == ROLE_OTHER_ADULT) & (t == SHARERS)
    age[m] = 18 + 17 * rng.beta(1.5, 2.5, size=m.sum())
    m = (role == ROLE_OTHER_ADULT) & (t == MULTI_GEN)
    age[m] = 18 + rng.random(m.sum()) * np.clip(anchor[m] - 36, 0.5, 12)
    m = role == ROLE_CHILD
    teen = m & (t == MULTI_GEN)
    age[teen] = 11 + 7 * rng.random(teen.sum())
    young = m & ~teen
    age[young] = 18 * rng.random(young.sum())
    # Parents' ages follow from the eldest child (mother aged ~19-35 at the first birth), so children are spread
    # evenly over 0-17 as in the population, rather than bunched by the parents' age.
    with_kids = np.isin(hh_type, [COUPLE_KIDS, LONE_PARENT])
    eldest = np.zeros(n_households)
    np.maximum.at(eldest, hh_of[young], age[young])
    age_a[with_kids] = eldest[with_kids] + 19 + 16 * rng.beta(2.0, 3.0, size=with_kids.sum())
    anchor = age_a[hh_of]
    m = role == ROLE_ADULT
    age[m] = anchor[m]
    m = role == ROLE_PARTNER
    age[m] = np.maximum(18, anchor[m] + rng.normal(1.5, 3.0, size=m.sum()))

    # Truncate to exactly n people (the last household loses its youngest members).
    keep = slice(0, n)
    hh_of, pos, role, age, t = hh_of[keep], pos[keep], role[keep], age[keep], t[keep]
    size = np.bincount(hh_of, minlength=n_households)

    # --- sex
    sex = (rng.random(n) < 0.5).astype(np.int8)
    first_female_share = np.select(
        [
            t == SINGLE_YOUNG,
            t == SINGLE_OLDER,
            t == LONE_PARENT,
            np.isin(t, [COUPLE_KIDS, MULTI_GEN]),
            t == SHARERS,
        ],
        [0.45, 0.65, 0.88, 1.0, 0.45],
        0.5,
    )
    u = rng.random(n)
    sex[role == ROLE_ADULT] = (u < first_female_share)[role == ROLE_ADULT]
    partner_of_first = np.where(pos > 0, hh_first[hh_of], 0)
    same_sex = rng.random(n) < 0.03
    m = role == ROLE_PARTNER
    sex[m] = np.where(same_sex[m], sex[partner_of_first[m]], 1 - sex[partner_of_first[m]])
    m = role == ROLE_CHILD
    sex[m] = (rng.random(m.sum()) < 0.488).astype(np.int8)

    # --- dates of birth: age at the window start plus a uniform day within the year
    age_years = np.floor(age).astype(np.int64)
    dob = start_day - np.floor((age_years + rng.random(n)) * 365.2425).astype(np.int64) - 1
    partner = np.full(n, -1, dtype=np.int64)
    has_partner = (role == ROLE_PARTNER) & (partner_of_first < n)
    partner[has_partner] = partner_of_first[has_partner]
    partner[partner_of_first[has_partner]] = np.flatnonzero(has_partner)

    # --- names
    origin_hh = rng.choice(len(nm.ORIGIN_SHARES), size=n_households, p=nm.ORIGIN_SHARES)
    origin = origin_hh[hh_of].astype(np.int8)
    birth_year = ymd(dob)[0]
    cohort = nm.cohort_of(birth_year)
    forename = np.empty(n, dtype=object)
    middle = np.full(n, "", dtype=object)
    has_middle = rng.random(n) < 0.65
    for sx in (MALE, FEMALE):
        for og in range(len(nm.ORIGIN_NAMES)):
            for ch in range(3):
                mask = (sex == sx) & (origin == og) & ((cohort == ch) | (og != nm.BRITISH))
                if og != nm.BRITISH and ch > 0:
                    continue
                count = int(mask.sum())
                if count == 0:
                    continue
                table = nm.forename_table(sx == MALE, og, ch)
                forename[mask] = table.sample(rng, count)
                middles = table.sample(rng, count)
                middle[mask] = np.where(has_middle[mask] & (middles != forename[mask]), middles, "")
    surname = _surnames(rng, n_households, origin_hh, hh_type, hh_of, pos, role, n)

    # --- addresses and moves
    lsoa0 = hh_lsoa[hh_of]
    pc0_hh = area.random_postcode(rng, hh_lsoa)
    moves = rng.random(
        n_households
    ) < config.prevalence.household_move_share * config.window.years_covered * (
        0.8 + 0.5 * (10 - area.lsoa_decile[hh_lsoa]) / 9.0
    )
    window_days = days(window.end) - start_day + 1
    move_day_hh = np.where(
        moves, start_day + (rng.random(n_households) * window_days).astype(np.int64), People.NO_MOVE
    )
    same_lsoa = rng.random(n_households) < 0.4
    lsoa1_hh = np.where(same_lsoa, hh_lsoa, rng.choice(area.n_lsoa, size=n_households, p=area.lsoa_weight))
    pc1_hh = area.random_postcode(rng, lsoa1_hh)
    pc1_hh = np.where(moves, pc1_hh, pc0_hh)
    lsoa1_hh = np.where(moves, lsoa1_hh, hh_lsoa)

    # --- latent risk: household + individual + deprivation
    deprivation = (5.5 - area.lsoa_decile[hh_lsoa]) / 4.5
    z_household = rng.normal(size=n_households)
    risk = 0.5 * z_household[hh_of] + 0.75 * rng.normal(size=n) + 0.6 * deprivation[hh_of]
    frailty = rng.gamma(0.4, 1 / 0.4, size=n)  # heavy tail: a few people are victimised repeatedly

    age_now = age_years
    hh_children = np.bincount(hh_of, weights=(age_now < 18), minlength=n_households).astype(np.int64)

    people = People(
        pid=first_pid + np.arange(n, dtype=np.int64),
        household=hh_of,
        role=role,
        partner=partner,
        sex=sex,
        dob=dob,
        age=age_now,
        origin=origin,
        forename=forename,
        middle=middle,
        surname=surname,
        lsoa0=lsoa0,
        pc0=pc0_hh[hh_of],
        move_day=move_day_hh[hh_of],
        lsoa1=lsoa1_hh[hh_of],
        pc1=pc1_hh[hh_of],
        risk=risk,
        frailty=frailty,
        nhs=allocator.nhs_numbers(rng, n),
        gang=np.zeros(n, dtype=bool),
        pnc=np.full(n, None, dtype=object),
        pnc_year=np.zeros(n, dtype=np.int64),
        cro=np.full(n, None, dtype=object),
        hh_children=hh_children[hh_of],
        hh_first=hh_first,
        hh_size=size,
        hh_type=hh_type,
    )
    _mark_gangs(config, people, rng)
    _prior_records(config, people, allocator, rng, window.start.year)
    return people


def _surnames(
    rng: np.random.Generator,
    n_households: int,
    origin_hh: np.ndarray,
    hh_type: np.ndarray,
    hh_of: np.ndarray,
    pos: np.ndarray,
    role: np.ndarray,
    n: int,
) -> np.ndarray:
    """Family surnames: partners often share one; children take either parent's, sometimes double-barrelled."""
    name_a = np.empty(n_households, dtype=object)
    name_b = np.empty(n_households, dtype=object)
    for og in range(len(nm.ORIGIN_NAMES)):
        mask = origin_hh == og
        table = nm.surname_table(og)
        name_a[mask] = table.sample(rng, int(mask.sum()))
        name_b[mask] = table.sample(rng, int(mask.sum()))
    # Some adults carry a double-barrelled surname from birth.
    barrel = rng.random(n_households) < 0.015
    name_a[barrel] = name_a[barrel] + "-" + name_b[barrel]
    married = rng.random(n_households) < 0.7
    partner_name = np.where(married, name_a, name_b)
    surname = np.empty(n, dtype=object)
    surname[:] = name_a[hh_of]
    is_partner = role == ROLE_PARTNER
    surname[is_partner] = partner_name[hh_of[is_partner]]
    member_type = hh_type[hh_of]
    children = (role == ROLE_CHILD) | ((role == ROLE_OTHER_ADULT) & (member_type == MULTI_GEN))
    hh = hh_of[children]
    u = rng.random(children.sum())
    lone = hh_type == LONE_PARENT
    absent_father = np.empty(n_households, dtype=object)
    for og in range(len(nm.ORIGIN_NAMES)):
        mask = origin_hh == og
        absent_father[mask] = nm.surname_table(og).sample(rng, int(mask.sum()))
    other_parent = np.where(lone, absent_father, partner_name)
    child_name = np.where(u < 0.55, other_parent[hh], name_a[hh])
    double = (u > 0.94) & (other_parent[hh] != name_a[hh])
    child_name = np.where(double, name_a[hh] + "-" + other_parent[hh], child_name)
    surname[children] = child_name
    sharers = (role == ROLE_OTHER_ADULT) & (member_type == SHARERS) & (pos > 0)
    for og in range(len(nm.ORIGIN_NAMES)):
        mask = sharers & (origin_hh[hh_of] == og)
        surname[mask] = nm.surname_table(og).sample(rng, int(mask.sum()))
    return surname


def _mark_gangs(config: SynthConfig, people: People, rng: np.random.Generator) -> None:
    """Gang-associated young men: a small, high-risk group concentrated in deprived areas."""
    eligible = np.flatnonzero((people.sex == MALE) & (people.age >= 14) & (people.age <= 30))
    count = round(config.prevalence.gang_share_young_males * eligible.size)
    if count == 0:
        return
    weight = np.exp(2.0 * people.risk[eligible])
    chosen = rng.choice(eligible, size=count, replace=False, p=weight / weight.sum())
    people.gang[chosen] = True
    # Gang members are recorded more often as both victims and offenders.
    people.risk[chosen] += 0.8


def _prior_records(
    config: SynthConfig,
    people: People,
    allocator: IdentifierAllocator,
    rng: np.random.Generator,
    start_year: int,
) -> None:
    """Adults who already have a PNC record (and usually a CRO number) from before the window."""
    adults = np.flatnonzero(people.age >= 18)
    count = round(config.prevalence.prior_record_share_of_adults * adults.size)
    if count == 0:
        return
    weight = offending_weight(people, adults) + 0.05
    chosen = np.sort(rng.choice(adults, size=count, replace=False, p=weight / weight.sum()))
    birth_year = ymd(people.dob[chosen])[0]
    first_age = 10 + rng.gamma(2.0, 4.0, size=count)
    year = np.minimum(birth_year + first_age.astype(np.int64), start_year - 1)
    year = np.maximum(year, np.maximum(birth_year + 10, 1980))
    year = np.minimum(year, start_year - 1)
    people.pnc[chosen] = allocator.pnc_ids(rng, year)
    people.pnc_year[chosen] = year
    has_cro = rng.random(count) < 0.75
    people.cro[chosen[has_cro]] = allocator.cro_numbers(rng, year[has_cro])
