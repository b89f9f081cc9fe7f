"""Emergency department injury attendances (ECDS-like, identified) and ISTV assault records (no identifiers).

Assault attendances come in two kinds: people whose assault the police recorded (the same incident, same day) and
people whose assault never reached the police. The split is set so that the configured ED-vs-police gap is met
*as measured*: the share of ED assault attendances with no police nominal record of the same person within
±30 days. Unreported assaults can still fall near some other police contact of the person (the generator moves
their date up to three times to avoid that, as most such people have no police contact at all), so the number of
police-linked attendances is reduced by the expected overlap, and the unreported list is cut where the realised
share best matches the target. Every assault attendance has an ISTV row for the same event (unless the configured
ISTV completeness is below 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from synth.area import AGE_BANDS, Area, age_band_index
from synth.config import SynthConfig
from synth.lives.common import (
    HOURS_DAYTIME,
    HOURS_NIGHT_ECONOMY,
    INCIDENT_BLOCK,
    Clock,
    EducationSignals,
    clock_text,
    date_series,
    minutes_of_day,
    pick,
    poisson_count,
    to_frame,
    weighted_choice,
)
from synth.lives.police import PoliceResult
from synth.noise import choose_defects, identity_variant, record_postcodes
from synth.people import MALE, People, victim_weight

GAP_WINDOW_DAYS = 30
_CONTACT_KEY = 10**6  # person * KEY + day: days since 1970 stay below a million for centuries
_SEVERITY = {"2": 4.0, "5D": 3.0, "5E": 2.0, "8N": 1.0, "8P": 1.0, "8S": 1.0}


@dataclass
class HealthResult:
    attendances: pl.DataFrame
    assaults: pl.DataFrame
    stats: dict[str, float] = field(default_factory=dict)


class ContactIndex:
    """Police nominal records of the chunk as sorted (person, day) keys, for the ±30-day gap test."""

    def __init__(self, person: np.ndarray, day: np.ndarray) -> None:
        self._keys = np.sort(person.astype(np.int64) * _CONTACT_KEY + day.astype(np.int64))

    def near(self, person: np.ndarray, day: np.ndarray, window: int = GAP_WINDOW_DAYS) -> np.ndarray:
        base = person.astype(np.int64) * _CONTACT_KEY + day.astype(np.int64)
        lo = np.searchsorted(self._keys, base - window, side="left")
        hi = np.searchsorted(self._keys, base + window, side="right")
        return hi > lo


def health_events(
    config: SynthConfig,
    area: Area,
    people: People,
    police: PoliceResult,
    education: EducationSignals,
    rng: np.random.Generator,
    chunk: int,
) -> HealthResult:
    prev = config.prevalence
    clock = Clock(config)
    n = people.n
    everyone = np.arange(n)
    contacts = ContactIndex(police.contact_person, police.contact_day)
    centre_of_la = np.array(
        [np.flatnonzero(area.lsoa_centre & (area.lsoa_la == la))[0] for la in range(len(area.las))]
    )
    gap = prev.ed_police_gap
    target = prev.ed_assault_per_1000 / 1000.0 * n * clock.years
    last_injury_day = clock.end - 1  # leaves room for the arrival to fall inside the window

    # ------------------------------------------------ unreported assaults: a pool, moved off police contact dates
    pool_size = int(np.ceil(1.5 * target * max(gap, 0.05))) + 20
    pool_person = weighted_choice(rng, everyone, victim_weight(people) * education.victim_boost, pool_size)
    young = people.age[pool_person] < 16
    pool_day = np.where(young, clock.uniform_days(rng, pool_size, after=1), clock.night_days(rng, pool_size))
    pool_day = np.minimum(pool_day, last_injury_day)
    pool_minute = np.where(
        young,
        minutes_of_day(rng, pool_size, HOURS_DAYTIME),
        minutes_of_day(rng, pool_size, HOURS_NIGHT_ECONOMY),
    )
    delay = _arrival_delay(rng, pool_size)
    for _ in range(3):
        dirty = contacts.near(pool_person, pool_day + (pool_minute + delay) // 1440)
        if not dirty.any():
            break
        pool_day[dirty] = clock.uniform_days(rng, int(dirty.sum()), after=1)
    clean = ~contacts.near(pool_person, pool_day + (pool_minute + delay) // 1440)
    clean_share = float(clean.mean()) if clean.size else 1.0

    # ------------------------------------------------ police-linked assaults: victims of recorded injury violence
    inj = police.injury
    eligible = (inj["day"] <= last_injury_day) & (inj["person"] >= 0)
    candidates = np.flatnonzero(eligible)
    linked_target = round(target * max(0.0, 1.0 - gap / clean_share)) if clean_share > gap else 0
    if gap <= 0:
        linked_target = round(target)
    weights = np.array([_SEVERITY.get(c, 1.0) for c in inj["code"][candidates]])
    linked = np.sort(
        weighted_choice(rng, candidates, weights, min(linked_target, candidates.size), replace=False)
    )
    r = linked.size

    # Cut the pool where the realised gap best matches the target, preferring the configured total.
    clean_prefix = np.concatenate([[0], np.cumsum(clean)])
    m_all = np.arange(pool_size + 1)
    objective = np.abs(clean_prefix - gap * (r + m_all)) + 0.01 * np.abs(r + m_all - target)
    m = int(np.argmin(objective))
    keep = slice(0, m)

    a_person = np.concatenate([inj["person"][linked], pool_person[keep]]).astype(np.int64)
    a_day = np.concatenate([inj["day"][linked], pool_day[keep]]).astype(np.int64)
    a_minute = np.concatenate([inj["minute"][linked], pool_minute[keep]]).astype(np.int64)
    a_delay = np.concatenate([_arrival_delay(rng, r), delay[keep]])
    a_incident = np.concatenate(
        [
            inj["incident"][linked],
            chunk * INCIDENT_BLOCK + 5 * 10**8 + np.arange(m),
        ]
    ).astype(np.int64)
    reported = np.concatenate([np.ones(r, bool), np.zeros(m, bool)])
    weapon = np.concatenate([inj["weapon"][linked], np.zeros(m, bool)])
    age = people.age[a_person]
    gang = people.gang[a_person]
    k = a_person.size
    u_place = np.where(
        age < 16,
        pick(rng, ("street", "school", "park", "home", "other"), (35, 25, 20, 10, 10), k),
        pick(rng, ("street", "home", "pub_club", "other", "transport", "park"), (35, 28, 17, 12, 4, 4), k),
    )
    place = np.where(
        reported, np.concatenate([inj["place"][linked], np.full(m, "", object)]), u_place
    ).astype(object)
    home = people.lsoa_at(a_day, a_person)
    u = rng.random(k)
    spread = np.where(
        u < 0.5,
        home,
        np.where(
            u < 0.8, centre_of_la[area.lsoa_la[home]], rng.choice(area.n_lsoa, size=k, p=area.lsoa_weight)
        ),
    )
    u_lsoa = np.select(
        [place == "home", place == "pub_club", place == "school"],
        [home, centre_of_la[area.lsoa_la[home]], home],
        spread,
    )
    loc_lsoa = np.where(reported, np.concatenate([inj["lsoa"][linked], np.zeros(m, np.int64)]), u_lsoa)
    mechanism = np.where(
        reported,
        np.where(
            weapon,
            pick(rng, ("sharp_object", "blunt_object"), (60, 40), k),
            pick(rng, ("body_part", "blunt_object"), (85, 15), k),
        ),
        np.where(
            gang,
            pick(
                rng, ("body_part", "sharp_object", "blunt_object", "other", "firearm"), (40, 35, 15, 8, 2), k
            ),
            pick(
                rng,
                ("body_part", "blunt_object", "sharp_object", "other", "firearm"),
                (56, 17, 12, 14.7, 0.3),
                k,
            ),
        ),
    ).astype(object)
    alcohol = pick(rng, ("alcohol", "drugs", "both", "none", "unknown"), (40, 6, 6, 28, 20), k)
    assaults = {
        "person": a_person,
        "day": a_day,
        "minute": a_minute,
        "delay": a_delay,
        "incident": a_incident,
        "intent": np.full(k, "assault", object),
        "mechanism": mechanism,
        "place": place,
        "alcohol": alcohol,
        "loc_lsoa": loc_lsoa,
    }

    # ------------------------------------------------ accidental injuries and self-harm
    band = age_band_index(people.age)
    k = poisson_count(rng, prev.ed_injury_per_1000, n, clock.years)
    accident_w = np.array([1.6, 1.4, 1.2, 1.1, 0.9, 0.8, 0.8, 1.3])[band] * np.exp(0.2 * people.risk)
    who = weighted_choice(rng, everyone, accident_w, k)
    elderly = people.age[who] >= 65
    accidents = {
        "person": who,
        "day": clock.uniform_days(rng, k, after=1),
        "minute": minutes_of_day(rng, k, HOURS_DAYTIME),
        "delay": _arrival_delay(rng, k),
        "incident": chunk * INCIDENT_BLOCK + 6 * 10**8 + np.arange(k),
        "intent": np.full(k, "accidental", object),
        "mechanism": np.where(
            elderly,
            pick(rng, ("fall", "blunt_object", "other"), (75, 10, 15), k),
            pick(
                rng,
                ("fall", "blunt_object", "road_traffic", "sharp_object", "body_part", "other"),
                (38, 16, 9, 11, 6, 20),
                k,
            ),
        ).astype(object),
        "place": pick(
            rng, ("home", "street", "school", "other", "park", "transport"), (45, 15, 5, 25, 5, 5), k
        ),
        "alcohol": pick(rng, ("none", "unknown", "alcohol", "drugs", "both"), (70, 22, 7, 0.5, 0.5), k),
        "loc_lsoa": np.zeros(k, np.int64),
    }
    k = poisson_count(rng, prev.ed_self_harm_per_1000, n, clock.years)
    harm_w = (
        np.where(people.sex == MALE, 1.0, 2.0)
        * np.where((people.age >= 15) & (people.age <= 24), 3.0, 1.0)
        * np.where(people.age >= 10, 1.0, 0.0)
        * np.exp(0.8 * people.risk)
    )
    who = weighted_choice(rng, everyone, harm_w, k)
    self_harm = {
        "person": who,
        "day": clock.uniform_days(rng, k, after=1),
        "minute": minutes_of_day(rng, k, HOURS_NIGHT_ECONOMY),
        "delay": _arrival_delay(rng, k),
        "incident": chunk * INCIDENT_BLOCK + 7 * 10**8 + np.arange(k),
        "intent": np.full(k, "self_harm", object),
        "mechanism": pick(rng, ("sharp_object", "other", "fall", "blunt_object"), (30, 60, 5, 5), k),
        "place": pick(rng, ("home", "other", "street"), (80, 10, 10), k),
        "alcohol": pick(rng, ("alcohol", "drugs", "both", "none", "unknown"), (25, 20, 10, 30, 15), k),
        "loc_lsoa": np.zeros(k, np.int64),
    }
    rows = {key: np.concatenate([assaults[key], accidents[key], self_harm[key]]) for key in assaults}
    arrival_abs = rows["minute"] + rows["delay"]
    arrival_day = rows["day"] + arrival_abs // 1440
    arrival_minute = arrival_abs % 1440
    inside = clock.in_window(arrival_day)
    rows = {key: value[inside] for key, value in rows.items()}
    arrival_day, arrival_minute = arrival_day[inside], arrival_minute[inside]
    attendances, assault_rows, stats = _frames(
        config, area, people, rows, arrival_day, arrival_minute, contacts, rng, clock
    )
    stats["ed_assault_linked_to_police_incident"] = float(r)
    return HealthResult(attendances=attendances, assaults=assault_rows, stats=stats)


def _arrival_delay(rng: np.random.Generator, n: int) -> np.ndarray:
    """Minutes from injury to arrival at the ED: mostly within a few hours."""
    return (20 + rng.gamma(2.0, 45.0, size=n)).astype(np.int64)


def _frames(
    config: SynthConfig,
    area: Area,
    people: People,
    rows: dict[str, np.ndarray],
    arrival_day: np.ndarray,
    arrival_minute: np.ndarray,
    contacts: ContactIndex,
    rng: np.random.Generator,
    clock: Clock,
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, float]]:
    noise = config.noise
    who = rows["person"]
    k = who.size
    ident = identity_variant(people, who, "health", noise, rng)
    forenames = ident.forenames.copy()
    has_middle = people.middle[who] != ""
    multiline = has_middle & (rng.random(k) < noise.multiline_field_rate * 2)
    forenames[multiline] = forenames[multiline] + "\n" + people.middle[who][multiline]
    nhs = people.nhs[who].copy()
    nhs_missing = rng.random(k) < noise.nhs_missing_rate
    nhs[nhs_missing] = None
    sex = np.where(people.sex[who] == MALE, "M", "F").astype(object)
    sex[rng.random(k) < 0.002] = "U"
    home_la = area.lsoa_la[people.lsoa_at(arrival_day, who)]
    other_site = (rng.random(k) < 0.1) & (len(area.las) > 1)
    site_la = np.where(other_site, 1 - home_la, home_la) if len(area.las) > 1 else home_la
    site = np.array([la.ed_site for la in area.las], dtype=object)[site_la]
    defects = choose_defects(
        k,
        ("bad_check:nhs_number", "missing:date_of_birth", "unknown_code:sex", "bad_date:arrival_date"),
        noise.invalid_row_rate,
        rng,
    )
    defects[(defects == "bad_check:nhs_number") & nhs_missing] = "missing:date_of_birth"
    injury_known = rng.random(k) < 0.96
    seconds = rng.integers(0, 60, size=k)
    sort_key = (arrival_day * 1440 + arrival_minute) * 60 + seconds
    periods = clock.periods(arrival_day)
    attendances = to_frame(
        {
            "_pid": people.pid[who],
            "_incident": rows["incident"],
            "_period": periods,
            "_sort": sort_key * 1000 + rng.integers(0, 1000, size=k),
            "arrival_date": date_series(arrival_day),
            "arrival_time": clock_text(arrival_minute, seconds),
            "nhs_number": nhs,
            "forenames": forenames,
            "surname": ident.surname,
            "date_of_birth": date_series(ident.dob),
            "sex": sex,
            "postcode": record_postcodes(people, who, arrival_day, area.postcode, noise, rng),
            "injury_date": date_series(rows["day"], missing=~injury_known),
            "injury_intent": rows["intent"],
            "injury_mechanism": rows["mechanism"],
            "place_of_injury": rows["place"],
            "alcohol_drug_involvement": rows["alcohol"],
            "site_code": site,
            "_defect": defects,
        },
        schema_overrides={"nhs_number": pl.String, "postcode": pl.String, "_defect": pl.String},
    )

    # ISTV: one row per assault attendance (same arrival, same injury), with no identifiers at all.
    is_assault = rows["intent"] == "assault"
    keep = is_assault & (rng.random(k) < config.prevalence.istv_completeness)
    idx = np.flatnonzero(keep)
    j = idx.size
    age_at = people.age_at(arrival_day[idx], who[idx])
    istv_sex = sex[idx]
    loc = rows["loc_lsoa"][idx]
    described = rng.random(j) < 0.9
    descriptions = np.array(
        [
            _describe(area, rows["place"][i], int(rows["loc_lsoa"][i]), rng) if d else None
            for i, d in zip(idx, described)
        ],
        dtype=object,
    )
    assault_time_known = rng.random(j) < 0.9
    istv_defects = choose_defects(
        j,
        ("missing:assault_date", "unknown_code:means_of_assault", "bad_date:arrival_date"),
        noise.invalid_row_rate,
        rng,
    )
    assaults = to_frame(
        {
            "_pid": people.pid[who[idx]],
            "_incident": rows["incident"][idx],
            "_period": periods[idx],
            "_sort": sort_key[idx] * 1000 + rng.integers(0, 1000, size=j),
            "site_code": site[idx],
            "arrival_date": date_series(arrival_day[idx]),
            "arrival_time": clock_text(arrival_minute[idx]),
            "assault_date": date_series(rows["day"][idx]),
            "assault_time": np.where(assault_time_known, clock_text(rows["minute"][idx]), None),
            "age_band": np.array(AGE_BANDS, dtype=object)[age_band_index(age_at)],
            "sex": istv_sex,
            "means_of_assault": np.where(rng.random(j) < 0.05, "unknown", rows["mechanism"][idx]).astype(
                object
            ),
            "location_type": np.array([_ISTV_PLACE[p] for p in rows["place"][idx]], dtype=object),
            "location_description": descriptions,
            "location_lsoa": np.where(rng.random(j) < 0.6, area.lsoa_code[loc], None),
            "_defect": istv_defects,
        },
        schema_overrides={
            "assault_time": pl.String,
            "location_description": pl.String,
            "location_lsoa": pl.String,
            "_defect": pl.String,
        },
    )
    assault_people = who[is_assault]
    covered = contacts.near(assault_people, arrival_day[is_assault])
    stats = {
        "ed_attendances": float(k),
        "ed_assault_attendances": float(is_assault.sum()),
        "ed_assault_with_police_contact_30d": float(covered.sum()),
        "ed_self_harm_attendances": float((rows["intent"] == "self_harm").sum()),
        "ed_nhs_number_missing": float(nhs_missing.sum()),
        "istv_rows": float(j),
    }
    return attendances, assaults, stats


_ISTV_PLACE = {
    "street": "street",
    "pub_club": "pub_club",
    "home": "home",
    "park": "park",
    "school": "school",
    "transport": "transport",
    "other": "other",
    "shop": "other",
}
_OTHER_PLACES = (
    "Takeaway",
    "Supermarket car park",
    "Shop doorway",
    "Workplace",
    "Taxi rank",
    "Leisure centre",
)


def _describe(area: Area, place: str, lsoa: int, rng: np.random.Generator) -> str:
    """Free-text place as reception staff write it: a street, a named venue, a park; never a house number."""
    la = int(area.lsoa_la[lsoa])
    if place == "street":
        streets = area.lsoa_streets[lsoa]
        return streets[int(rng.integers(0, len(streets)))]
    if place == "pub_club":
        venues = area.venues[la]
        return venues[int(rng.integers(0, len(venues)))]
    if place == "park":
        return str(area.lsoa_park[lsoa])
    if place == "home":
        return ("Home address", "Own home", "Friend's house", "Private dwelling")[int(rng.integers(0, 4))]
    if place == "school":
        return str(area.school_name[area.lsoa_secondary[lsoa]])
    if place == "transport":
        return (f"{area.las[la].name} bus station", f"{area.las[la].name} railway station", "Bus stop")[
            int(rng.integers(0, 3))
        ]
    return _OTHER_PLACES[int(rng.integers(0, len(_OTHER_PLACES)))]
