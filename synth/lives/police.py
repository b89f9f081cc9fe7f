"""Police occurrences and the nominals (people) linked to them, in a chunk.

Four kinds of occurrence: violence against a person (about a third domestic abuse, with the partner or a parent as
suspect and children present in many households), suspect-only violence (weapon possession, assaults on emergency
workers), other crime (theft, burglary, damage, drugs, public order) and exploitation, where a child is recorded as
a missing person. Victims and offenders are drawn from the chunk's residents with propensities driven by the latent
risk, so the same people recur across roles and agencies. Only occurrences recorded inside the window are kept
(the force has not yet sent later ones).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from synth.area import Area
from synth.config import SynthConfig
from synth.ids import IdentifierAllocator
from synth.lives.common import (
    HOURS_DAYTIME,
    HOURS_DOMESTIC,
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
from synth.noise import choose_defects, identity_variant, record_postcodes
from synth.people import FEMALE, MALE, People, offending_weight, victim_weight, ymd

FORCE_CODE = "47"
VIOLENCE_WITH_INJURY = ("2", "5D", "5E", "8N", "8P", "8S")
ROLE_ORDER = {"victim": 0, "suspect": 1, "offender": 2, "witness": 3, "missing": 4}

CRIME_TYPES: dict[str, str] = {
    "1": "Murder",
    "2": "Attempted murder",
    "4/1": "Manslaughter",
    "4/2": "Infanticide",
    "4/10": "Corporate manslaughter",
    "5D": "Assault with intent to cause serious harm",
    "5E": "Endangering life",
    "8N": "Assault with injury",
    "8P": "Racially or religiously aggravated assault with injury",
    "8S": "Assault with injury on a constable",
    "105A": "Assault without injury",
    "105B": "Racially or religiously aggravated assault without injury",
    "104": "Assault without injury on a constable",
    "3A": "Threats to kill",
    "3B": "Conspiracy to murder",
    "11A": "Cruelty to children/young persons",
    "13": "Child abduction",
    "36": "Kidnapping",
    "106": "Modern slavery",
    "8L": "Harassment",
    "8M": "Racially or religiously aggravated harassment",
    "8Q": "Stalking",
    "10A": "Possession of firearms with intent",
    "10C": "Possession of other weapons",
    "10D": "Possession of article with blade or point",
    "34A": "Robbery of business property",
    "34B": "Robbery of personal property",
    "28E": "Burglary - residential (home)",
    "28F": "Burglary - residential (unconnected building)",
    "30C": "Burglary - business and community",
    "44": "Theft of pedal cycle",
    "45": "Theft from vehicle",
    "46": "Shoplifting",
    "49": "Other theft",
    "58A": "Criminal damage to a dwelling",
    "58B": "Criminal damage to a building other than a dwelling",
    "58C": "Criminal damage to a vehicle",
    "92A": "Trafficking in controlled drugs",
    "92D": "Possession of controlled drugs",
    "125": "Public order offence",
    "126": "Vehicle interference",
    "149": "Miscellaneous crime against society",
    "195": "Other notifiable offence",
}
_WEAPON_SHARE = {
    "5D": 0.6,
    "2": 0.8,
    "5E": 0.5,
    "34B": 0.25,
    "34A": 0.3,
    "8N": 0.12,
    "8P": 0.1,
    "105A": 0.03,
    "1": 0.6,
    "4/1": 0.5,
    "3A": 0.1,
    "10A": 1.0,
    "10C": 1.0,
    "10D": 1.0,
    "8S": 0.1,
}

# Other crime: code, share, victim kind, chance a suspect is named, place, hours profile.
_OTHER_CRIME = (
    ("46", 25, "none", 0.5, "shop", HOURS_DAYTIME),
    ("49", 15, "adult", 0.1, "other", HOURS_DAYTIME),
    ("28E", 8, "household", 0.12, "home", HOURS_DAYTIME),
    ("28F", 2, "household", 0.08, "home", HOURS_DAYTIME),
    ("30C", 3, "none", 0.1, "other", HOURS_NIGHT_ECONOMY),
    ("44", 3, "adult", 0.05, "street", HOURS_DAYTIME),
    ("45", 6, "adult", 0.06, "street", HOURS_NIGHT_ECONOMY),
    ("58A", 6, "household", 0.25, "home", HOURS_NIGHT_ECONOMY),
    ("58B", 3, "none", 0.15, "other", HOURS_NIGHT_ECONOMY),
    ("58C", 8, "adult", 0.15, "street", HOURS_NIGHT_ECONOMY),
    ("92D", 8, "none", 1.0, "street", HOURS_NIGHT_ECONOMY),
    ("92A", 1.5, "none", 1.0, "street", HOURS_NIGHT_ECONOMY),
    ("125", 6, "adult", 0.7, "street", HOURS_NIGHT_ECONOMY),
    ("126", 2, "adult", 0.4, "street", HOURS_NIGHT_ECONOMY),
    ("149", 1, "none", 0.8, "other", HOURS_DAYTIME),
    ("195", 1.5, "none", 0.8, "other", HOURS_DAYTIME),
)

_MO = {
    "domestic": (
        "Verbal argument at home address escalated; suspect {act} victim.",
        "Suspect returned to address after separation and {act} victim.",
        "Neighbours called police to shouting; victim states partner {act} her/him.",
    ),
    "night": (
        "Victim assaulted outside licensed premises; suspect {act} victim.",
        "Altercation in street after leaving venue; victim {act}.",
        "Group of males approached victim; one {act} victim.",
    ),
    "child": (
        "Victim assaulted on way home from school; suspect {act} victim.",
        "Fight between youths in park; victim {act}.",
    ),
    "robbery": (
        "Victim approached by males who demanded phone; victim {act} and property taken.",
        "Victim threatened and bag taken by suspect on foot.",
    ),
    "weapon": (
        "Stop search conducted; bladed article found in waistband.",
        "Suspect seen brandishing knife in street; detained by officers.",
    ),
    "property": (
        "Unknown offender removed property from premises.",
        "Entry gained via rear door; items stolen.",
        "Vehicle window smashed and items taken.",
        "Damage caused to property by unknown offender.",
    ),
    "drugs": (
        "Stop search conducted; controlled drugs found in possession.",
        "Suspect observed handing packages to others; drugs and cash seized.",
    ),
    "order": ("Suspect shouting and swearing in street causing alarm and distress.",),
    "exploitation": (
        "Young person reported missing found at address linked to drug supply.",
        "Child located in another county; concerns of criminal exploitation.",
    ),
}
_ACTS = ("punched", "pushed", "kicked", "slapped", "grabbed", "headbutted", "threatened")


@dataclass
class PoliceResult:
    """The chunk's police records, and what the ED and probation generators need to know about them."""

    occurrences: pl.DataFrame
    nominals: pl.DataFrame
    contact_person: np.ndarray
    """Local person index of every nominal record written (for the ±30-day ED gap test)."""
    contact_day: np.ndarray
    """Offence day of each of those records."""
    injury: dict[str, np.ndarray]
    """Recorded violence with injury against a resident: candidates for an ED attendance of the same incident."""
    charged: dict[str, np.ndarray]
    """Suspects of charged occurrences: candidates for a probation sentence."""
    stats: dict[str, float] = field(default_factory=dict)


class _Events:
    """Column-wise accumulator of occurrences and nominals while the categories are generated."""

    def __init__(self) -> None:
        self.occ: dict[str, list[np.ndarray]] = {}
        self.nom: dict[str, list[np.ndarray]] = {}
        self.count = 0

    def add_occurrences(self, **columns: np.ndarray) -> np.ndarray:
        n = len(next(iter(columns.values())))
        ids = np.arange(self.count, self.count + n)
        self.count += n
        columns["occ"] = ids
        for key, value in columns.items():
            self.occ.setdefault(key, []).append(np.asarray(value))
        return ids

    def add_nominals(self, occ: np.ndarray, person: np.ndarray, role: str) -> None:
        keep = person >= 0
        self.nom.setdefault("occ", []).append(occ[keep])
        self.nom.setdefault("person", []).append(person[keep])
        self.nom.setdefault("role", []).append(np.full(int(keep.sum()), role, dtype=object))

    def occurrences(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) for k, v in self.occ.items()}

    def nominals(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) for k, v in self.nom.items()}


def police_events(
    config: SynthConfig,
    area: Area,
    people: People,
    education: EducationSignals,
    allocator: IdentifierAllocator,
    rng: np.random.Generator,
    chunk: int,
) -> PoliceResult:
    """Generate the chunk's police occurrences and nominals (canonical values, ready to spool)."""
    prev = config.prevalence
    clock = Clock(config)
    n = people.n
    everyone = np.arange(n)
    events = _Events()
    centre_of_la = np.array(
        [np.flatnonzero(area.lsoa_centre & (area.lsoa_la == la))[0] for la in range(len(area.las))]
    )
    off_w = offending_weight(people)
    youth_pool = everyone[(people.age >= 10) & (people.age <= 20)]
    adult_pool = everyone[people.age >= 16]

    def home_lsoa(who: np.ndarray, day: np.ndarray) -> np.ndarray:
        return people.lsoa_at(day, who)

    def draw_suspects(victims: np.ndarray, youth: np.ndarray) -> np.ndarray:
        out = np.full(victims.size, -1, dtype=np.int64)
        for mask, pool in ((youth, youth_pool), (~youth, adult_pool)):
            k = int(mask.sum())
            if k and pool.size:
                out[mask] = weighted_choice(rng, pool, off_w[pool], k)
        out[out == victims] = -1
        return out

    # ------------------------------------------------ violence against a person
    k = poisson_count(rng, prev.police_violence_per_1000, n, clock.years)
    victims = weighted_choice(rng, everyone, victim_weight(people) * education.victim_boost, k)
    age = people.age[victims]
    child = age < 16
    female = people.sex[victims] == FEMALE
    has_partner = (people.partner[victims] >= 0) & ~child
    p_da = np.select([child, female & has_partner, has_partner], [0.3, 0.65, 0.2], 0.08)
    p_da = np.clip(p_da * prev.domestic_abuse_share / max(p_da.mean(), 1e-9), 0.0, 0.95)
    da = rng.random(k) < p_da
    code = np.empty(k, dtype=object)
    m = da & ~child
    code[m] = pick(rng, ("8N", "105A", "8L", "8Q", "5D", "3A"), (35, 45, 10, 4, 3, 3), int(m.sum()))
    m = da & child
    code[m] = pick(rng, ("105A", "8N", "11A"), (40, 25, 35), int(m.sum()))
    m = ~da & child
    code[m] = pick(rng, ("105A", "8N", "34B", "8L", "13", "5D"), (42, 25, 15, 12, 2, 4), int(m.sum()))
    m = ~da & ~child
    code[m] = pick(
        rng,
        (
            "105A",
            "8N",
            "8L",
            "8Q",
            "5D",
            "34B",
            "105B",
            "8P",
            "8M",
            "3A",
            "36",
            "106",
            "2",
            "5E",
            "1",
            "4/1",
            "4/2",
            "4/10",
            "3B",
        ),
        (30, 22, 17, 3, 3, 8, 2, 1.5, 2, 2, 0.5, 0.3, 0.3, 0.5, 0.05, 0.02, 0.02, 0.01, 0.01),
        int(m.sum()),
    )
    gang_victim = people.gang[victims] & ~da & (rng.random(k) < 0.3)
    code[gang_victim] = pick(rng, ("5D", "34B", "2"), (60, 35, 5), int(gang_victim.sum()))

    day = np.where(da | child, clock.uniform_days(rng, k, before=30), clock.night_days(rng, k))
    minute = np.where(
        da,
        minutes_of_day(rng, k, HOURS_DOMESTIC),
        np.where(child, minutes_of_day(rng, k, HOURS_DAYTIME), minutes_of_day(rng, k, HOURS_NIGHT_ECONOMY)),
    )
    home = home_lsoa(victims, day)
    in_centre = ~da & ~child & (rng.random(k) < np.where((age >= 16) & (age <= 45), 0.45, 0.2))
    elsewhere = rng.choice(area.n_lsoa, size=k, p=area.lsoa_weight)
    loc_lsoa = np.where(
        da | child,
        home,
        np.where(in_centre, centre_of_la[area.lsoa_la[home]], np.where(rng.random(k) < 0.6, home, elsewhere)),
    )
    place = np.where(
        da,
        "home",
        np.where(
            in_centre,
            pick(rng, ("pub_club", "street"), (1, 1), k),
            np.where(
                child,
                pick(rng, ("street", "park", "school", "other"), (40, 20, 30, 10), k),
                pick(rng, ("street", "other", "home", "transport"), (60, 20, 10, 10), k),
            ),
        ),
    ).astype(object)
    loc_pc = np.where(da, people.postcode_at(day, victims), area.random_postcode(rng, loc_lsoa))
    # Suspects: the partner (or, for a child, a parent) in domestic abuse; otherwise a named suspect sometimes.
    suspect = np.full(k, -1, dtype=np.int64)
    partner = people.partner[victims]
    parent = people.hh_first[people.household[victims]]
    suspect = np.where(da & has_partner, partner, suspect)
    suspect = np.where(da & child & (parent != victims), parent, suspect)
    ex = da & (suspect < 0)
    if ex.any():
        ex_pool = everyone[people.age >= 18]
        exes = weighted_choice(rng, ex_pool, off_w[ex_pool], int(ex.sum()))
        suspect[ex] = exes
    named = ~da & (rng.random(k) < prev.suspect_identified_share)
    stranger = draw_suspects(victims, age < 18)
    suspect = np.where(named, stranger, suspect)
    suspect[suspect == victims] = -1
    second = np.where(named & (rng.random(k) < 0.15), draw_suspects(victims, age < 18), -1)
    weapon = rng.random(k) < np.clip(
        np.array([_WEAPON_SHARE.get(c, 0.02) for c in code]) * np.where(people.gang[victims], 2.0, 1.0),
        0,
        0.95,
    )
    kids_home = people.hh_children[victims] > 0
    child_present = np.full(k, None, dtype=object)
    child_present[da] = False
    present = da & ~child & kids_home & (rng.random(k) < prev.child_present_share)
    child_present[present] = True
    family = np.where(child, "child", np.where(code == "34B", "robbery", "night"))
    family = np.where(da, "domestic", family)
    occ = events.add_occurrences(
        day=day,
        minute=minute,
        code=code,
        da=da,
        weapon=weapon,
        child_present=child_present,
        loc_lsoa=loc_lsoa,
        loc_pc=loc_pc,
        place=place,
        named=(suspect >= 0),
        mo=family,
        victim=victims,
    )
    events.add_nominals(occ, victims, "victim")
    events.add_nominals(occ, suspect, "suspect")
    events.add_nominals(occ, second, "suspect")
    witness = np.where(~da & (rng.random(k) < prev.witness_share), rng.choice(adult_pool, size=k), -1)
    witness[witness == victims] = -1
    events.add_nominals(occ, witness, "witness")
    # A child of the household recorded as a witness in some domestic-abuse occurrences with children present.
    child_witness = np.full(k, -1, dtype=np.int64)
    for i in np.flatnonzero(present & (rng.random(k) < 0.3)):
        first = people.hh_first[people.household[victims[i]]]
        members = np.arange(first, first + people.hh_size[people.household[victims[i]]])
        kids = members[people.age[members] < 18]
        if kids.size:
            child_witness[i] = kids[int(rng.integers(0, kids.size))]
    events.add_nominals(occ, child_witness, "witness")

    # ------------------------------------------------ suspect-only violence
    for rate, codes, weights, centre_share, weapon_always in (
        (prev.police_weapon_possession_per_1000, ("10A", "10C", "10D"), (10, 25, 65), 0.4, True),
        (prev.police_assault_emergency_worker_per_1000, ("104", "8S"), (70, 30), 0.6, False),
    ):
        k = poisson_count(rng, rate, n, clock.years)
        w = off_w * np.where(people.gang, 6.0, 1.0) if weapon_always else off_w
        suspects = weighted_choice(rng, everyone, w, k)
        day = clock.night_days(rng, k)
        home = home_lsoa(suspects, day)
        loc_lsoa = np.where(rng.random(k) < centre_share, centre_of_la[area.lsoa_la[home]], home)
        code = pick(rng, codes, weights, k)
        occ = events.add_occurrences(
            day=day,
            minute=minutes_of_day(rng, k, HOURS_NIGHT_ECONOMY),
            code=code,
            da=np.zeros(k, bool),
            weapon=np.full(k, weapon_always) | (rng.random(k) < 0.05),
            child_present=np.full(k, None, object),
            loc_lsoa=loc_lsoa,
            loc_pc=area.random_postcode(rng, loc_lsoa),
            place=np.full(k, "street", object),
            named=np.ones(k, bool),
            mo=np.full(k, "weapon" if weapon_always else "order", object),
            victim=np.full(k, -1),
        )
        events.add_nominals(occ, suspects, "suspect")

    # ------------------------------------------------ other crime
    k = poisson_count(rng, prev.police_other_crime_per_1000, n, clock.years)
    shares = np.array([c[1] for c in _OTHER_CRIME], dtype=float)
    kind = rng.choice(len(_OTHER_CRIME), size=k, p=shares / shares.sum())
    victim_w = np.where(people.age >= 18, np.exp(0.3 * people.risk), 0.0)
    for index, (code_value, _, victim_kind, suspect_p, place_kind, hours) in enumerate(_OTHER_CRIME):
        m = int((kind == index).sum())
        if m == 0:
            continue
        day = clock.uniform_days(rng, m, before=30)
        victims = weighted_choice(rng, everyone, victim_w, m) if victim_kind != "none" else np.full(m, -1)
        w = off_w * (np.where(people.gang, 8.0, 1.0) if code_value == "92A" else 1.0)
        suspects = np.where(rng.random(m) < suspect_p, weighted_choice(rng, everyone, w, m), -1)
        suspects[suspects == victims] = -1
        anchor = np.where(
            victims >= 0, victims, np.where(suspects >= 0, suspects, rng.integers(0, n, size=m))
        )
        home = home_lsoa(anchor, day)
        if place_kind == "home":
            loc_lsoa = home
            loc_pc = people.postcode_at(day, anchor)
        else:
            centre = centre_of_la[area.lsoa_la[home]]
            u = rng.random(m)
            share_centre = 0.6 if place_kind in ("shop", "other") else 0.3
            loc_lsoa = np.where(
                u < share_centre,
                centre,
                np.where(u < share_centre + 0.4, home, rng.choice(area.n_lsoa, size=m, p=area.lsoa_weight)),
            )
            loc_pc = area.random_postcode(rng, loc_lsoa)
        mo = {"92D": "drugs", "92A": "drugs", "125": "order", "126": "property"}.get(code_value, "property")
        occ = events.add_occurrences(
            day=day,
            minute=minutes_of_day(rng, m, hours),
            code=np.full(m, code_value, object),
            da=np.zeros(m, bool),
            weapon=rng.random(m) < 0.01,
            child_present=np.full(m, None, object),
            loc_lsoa=loc_lsoa,
            loc_pc=loc_pc,
            place=np.full(m, place_kind, object),
            named=suspects >= 0,
            mo=np.full(m, mo, object),
            victim=victims,
        )
        events.add_nominals(occ, victims, "victim")
        events.add_nominals(occ, suspects, "suspect")

    # ------------------------------------------------ exploitation: a child recorded as missing
    k = poisson_count(rng, prev.police_exploitation_per_1000, n, clock.years)
    teens = everyone[(people.age >= 12) & (people.age <= 17)]
    if teens.size and k:
        w = np.exp(1.2 * people.risk[teens]) * (1 + 3 * education.cin_or_lac[teens])
        missing = weighted_choice(rng, teens, w, k)
        day = clock.uniform_days(rng, k)
        gangs = everyone[people.gang]
        exploiter = (
            np.where(rng.random(k) < 0.6, weighted_choice(rng, gangs, off_w[gangs], k), -1)
            if gangs.size
            else np.full(k, -1)
        )
        loc_lsoa = rng.choice(area.n_lsoa, size=k, p=area.lsoa_weight)
        occ = events.add_occurrences(
            day=day,
            minute=minutes_of_day(rng, k, HOURS_DAYTIME),
            code=pick(rng, ("106", "92A"), (40, 60), k),
            da=np.zeros(k, bool),
            weapon=rng.random(k) < 0.1,
            child_present=np.full(k, None, object),
            loc_lsoa=loc_lsoa,
            loc_pc=area.random_postcode(rng, loc_lsoa),
            place=np.full(k, "other", object),
            named=exploiter >= 0,
            mo=np.full(k, "exploitation", object),
            victim=np.full(k, -1),
        )
        events.add_nominals(occ, missing, "missing")
        events.add_nominals(occ, exploiter, "suspect")

    return _finish(config, area, people, events, allocator, rng, chunk, clock)


def _finish(
    config: SynthConfig,
    area: Area,
    people: People,
    events: _Events,
    allocator: IdentifierAllocator,
    rng: np.random.Generator,
    chunk: int,
    clock: Clock,
) -> PoliceResult:
    """Recording delays, outcomes, identities and the canonical frames."""
    o = events.occurrences()
    k = o["occ"].size
    delay = np.select(
        [rng.random(k) < 0.55, rng.random(k) < 0.67, rng.random(k) < 0.8],
        [0, rng.integers(1, 4, size=k), rng.integers(4, 31, size=k)],
        rng.integers(31, 366, size=k),
    )
    recorded = o["day"] + delay
    kept = clock.in_window(recorded)
    o = {key: value[kept] for key, value in o.items()}
    recorded = recorded[kept]
    k = recorded.size
    remap = np.full(events.count, -1, dtype=np.int64)
    remap[o["occ"]] = np.arange(k)

    # Outcomes: most named-suspect cases end in evidential difficulties; charges are a minority.
    outcome = np.where(
        o["named"],
        pick(rng, ("1", "2", "3", "8", "15", "16", "21"), (16, 2, 3, 6, 38, 30, 5), k),
        pick(rng, ("18", "14"), (85, 15), k),
    ).astype(object)
    recent = (clock.end - recorded < 45) & (rng.random(k) < 0.5)
    outcome[recent] = None
    # Possession and assaults on officers are usually charged: the suspect is detained at the scene.
    outcome[np.isin(o["code"], ["104", "8S", "10A", "10C", "10D", "92D"]) & (rng.random(k) < 0.4)] = "1"

    nom = events.nominals()
    keep = remap[nom["occ"]] >= 0
    nom = {key: value[keep] for key, value in nom.items()}
    nom["occ"] = remap[nom["occ"]]
    # One record per person, occurrence and role.
    key = (nom["occ"] * 8 + np.vectorize(ROLE_ORDER.get, otypes=[np.int64])(nom["role"])) * (
        people.n + 1
    ) + nom["person"]
    _, first = np.unique(key, return_index=True)
    first = np.sort(first)
    nom = {k2: v[first] for k2, v in nom.items()}
    charged_occ = outcome == "1"
    is_suspect = nom["role"] == "suspect"
    offender = is_suspect & charged_occ[nom["occ"]] & (rng.random(nom["occ"].size) < 0.5)
    nom["role"] = np.where(offender, "offender", nom["role"]).astype(object)

    # People charged or cautioned get a PNC record if they had none.
    occ_day = o["day"][nom["occ"]]
    disposal = np.isin(outcome[nom["occ"]].astype(str), ["1", "2", "3"]) & np.isin(
        nom["role"], ["suspect", "offender"]
    )
    new_pnc = np.unique(
        nom["person"][disposal & np.array([people.pnc[p] is None for p in nom["person"]], bool)]
    )
    if new_pnc.size:
        first_day = np.full(people.n, 10**7, dtype=np.int64)
        np.minimum.at(first_day, nom["person"][disposal], occ_day[disposal])
        years = ymd(first_day[new_pnc])[0]
        people.pnc[new_pnc] = allocator.pnc_ids(rng, years)
        people.pnc_year[new_pnc] = years

    nominals = _nominal_records(config, area, people, nom, o, recorded, allocator, rng)
    periods = clock.periods(recorded)
    sort_key = recorded * 10**7 + rng.integers(0, 10**7, size=k)
    occ_global = chunk * INCIDENT_BLOCK + o["occ"]
    defects = choose_defects(
        k,
        ("missing:offence_date", "bad_date:recorded_date", "unknown_code:ho_code"),
        config.noise.invalid_row_rate,
        rng,
    )
    time_known = rng.random(k) < 0.9
    pc_known = rng.random(k) < 0.85
    lsoa_known = rng.random(k) < 0.92
    occurrences = to_frame(
        {
            "_occ": occ_global,
            "_incident": occ_global,
            "_period": periods,
            "_sort": sort_key,
            "recorded_date": date_series(recorded),
            "offence_date": date_series(o["day"]),
            "offence_time": np.where(time_known, clock_text(o["minute"]), None),
            "ho_code": o["code"],
            "crime_type": np.array([CRIME_TYPES[c] for c in o["code"]], dtype=object),
            "outcome_code": outcome,
            "location_postcode": np.where(pc_known, area.postcode[o["loc_pc"]], None),
            "location_lsoa": np.where(lsoa_known, area.lsoa_code[o["loc_lsoa"]], None),
            "domestic_abuse": o["da"].astype(bool),
            "weapon_flag": o["weapon"].astype(bool),
            "child_present": o["child_present"],
            "mo_text": _mo_texts(rng, o, people),
            "_defect": defects,
        },
        schema_overrides={
            "child_present": pl.Boolean,
            "offence_time": pl.String,
            "outcome_code": pl.String,
            "location_postcode": pl.String,
            "location_lsoa": pl.String,
            "_defect": pl.String,
        },
    )
    nominals = nominals.with_columns(
        pl.Series("_occ", occ_global[nom["occ"]]),
        pl.Series("_incident", occ_global[nom["occ"]]),
        pl.Series("_period", periods[nom["occ"]], dtype=pl.String),
    )
    injury = np.isin(o["code"], VIOLENCE_WITH_INJURY) & (o["victim"] >= 0) & clock.in_window(o["day"])
    charged_nom = (nom["role"] == "offender") | ((nom["role"] == "suspect") & charged_occ[nom["occ"]])
    stats = {
        "police_occurrences": float(k),
        "police_violence_occurrences": float(np.isin(o["code"], _violence_codes()).sum()),
        "police_person_violence_occurrences": float(
            (np.isin(o["code"], _violence_codes()) & (o["victim"] >= 0)).sum()
        ),
        "police_domestic_abuse_occurrences": float(o["da"].sum()),
        "police_da_with_child_present": float((o["child_present"] == True).sum()),
        "police_nominals": float(nom["occ"].size),
        "police_victims_distinct": float(np.unique(nom["person"][nom["role"] == "victim"]).size),
        "police_repeat_victims": float((np.bincount(nom["person"][nom["role"] == "victim"]) >= 2).sum()),
        "police_missing_person_records": float((nom["role"] == "missing").sum()),
    }
    return PoliceResult(
        occurrences=occurrences,
        nominals=nominals,
        contact_person=nom["person"],
        contact_day=o["day"][nom["occ"]],
        injury={
            "incident": occ_global[injury],
            "person": o["victim"][injury],
            "day": o["day"][injury],
            "minute": o["minute"][injury],
            "code": o["code"][injury],
            "weapon": o["weapon"][injury].astype(bool),
            "lsoa": o["loc_lsoa"][injury],
            "place": o["place"][injury],
            "da": o["da"][injury].astype(bool),
        },
        charged={
            "person": nom["person"][charged_nom],
            "day": o["day"][nom["occ"][charged_nom]],
            "code": o["code"][nom["occ"][charged_nom]],
            "da": o["da"][nom["occ"][charged_nom]].astype(bool),
        },
        stats=stats,
    )


def _violence_codes() -> list[str]:
    return [
        "1",
        "2",
        "3A",
        "3B",
        "4/1",
        "4/2",
        "4/10",
        "5D",
        "5E",
        "8L",
        "8M",
        "8N",
        "8P",
        "8Q",
        "8S",
        "10A",
        "10C",
        "10D",
        "11A",
        "13",
        "34A",
        "34B",
        "36",
        "104",
        "105A",
        "105B",
        "106",
    ]


def _nominal_records(
    config: SynthConfig,
    area: Area,
    people: People,
    nom: dict[str, np.ndarray],
    o: dict[str, np.ndarray],
    recorded: np.ndarray,
    allocator: IdentifierAllocator,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """The force's nominal record for each (occurrence, person, role): one identity per nominal id."""
    noise = config.noise
    persons = np.unique(nom["person"])
    ident = identity_variant(people, persons, "police", noise, rng)
    ids = allocator.nominal_ids(rng, persons.size)
    slot = np.searchsorted(persons, nom["person"])
    records = np.bincount(slot, minlength=persons.size)
    # Only someone recorded more than once can be split across two nominal records.
    duplicate = (records >= 2) & (rng.random(persons.size) < noise.duplicate_nominal_rate)
    dup_ident = identity_variant(people, persons[duplicate], "police", noise, rng)
    dup_ids = allocator.nominal_ids(rng, int(duplicate.sum()))
    dup_slot = np.cumsum(duplicate) - 1
    use_dup = duplicate[slot] & (rng.random(slot.size) < 0.5)
    # Each duplicated person keeps at least one record on each nominal id: the first on the original...
    first_record = np.zeros(slot.size, dtype=bool)
    _, first_index = np.unique(slot, return_index=True)
    first_record[first_index] = True
    use_dup &= ~first_record
    # ...and the last on the duplicate.
    last_record = np.zeros(slot.size, dtype=bool)
    _, last_index = np.unique(slot[::-1], return_index=True)
    last_record[slot.size - 1 - last_index] = True
    use_dup |= duplicate[slot] & last_record

    def pick_field(main: np.ndarray, dup: np.ndarray) -> np.ndarray:
        out = main[slot].copy()
        out[use_dup] = dup[dup_slot[slot[use_dup]]]
        return out

    forenames = pick_field(ident.forenames, dup_ident.forenames)
    surname = pick_field(ident.surname, dup_ident.surname)
    dob = pick_field(ident.dob, dup_ident.dob)
    nominal_id = pick_field(ids, dup_ids)
    role = nom["role"]
    n = slot.size
    dob_missing = rng.random(n) < np.select([role == "witness", role == "victim"], [0.2, 0.03], 0.01)
    day = o["day"][nom["occ"]]
    who = nom["person"]
    homeless = (
        (people.age[who] >= 18) & (people.risk[who] > 1.8) & ((people.pid[who] * 2654435761 % 1000) < 150)
    )  # a stable 15% of the highest-risk adults
    postcode = record_postcodes(people, who, day, area.postcode, noise, rng)
    postcode[homeless] = None
    nfa = np.where(homeless, True, np.where(rng.random(n) < 0.5, False, None)).astype(object)
    pnc = people.pnc[who]
    has_pnc = np.array([p is not None for p in pnc], dtype=bool)
    pnc_shown = has_pnc & (people.pnc_year[who] <= ymd(recorded[nom["occ"]])[0]) & (rng.random(n) < 0.85)
    cro = people.cro[who]
    cro_shown = np.array([c is not None for c in cro], dtype=bool) & (rng.random(n) < 0.7)
    gang = people.gang[who] & (rng.random(n) < 0.8)
    sex = np.where(people.sex[who] == MALE, "M", "F").astype(object)
    sex[rng.random(n) < 0.003] = "U"
    defects = choose_defects(
        n,
        (
            "missing:surname",
            "unknown_code:role",
            "unknown_code:sex",
            "bad_date:date_of_birth",
            "bad_check:pnc_id",
        ),
        noise.invalid_row_rate,
        rng,
    )
    defects[(defects == "bad_date:date_of_birth") & dob_missing] = "unknown_code:sex"
    defects[(defects == "bad_check:pnc_id") & ~pnc_shown] = "unknown_code:role"
    return to_frame(
        {
            "_pid": people.pid[who],
            "_role_rank": np.vectorize(ROLE_ORDER.get, otypes=[np.int64])(role),
            "_offence_day": day,
            "nominal_id": nominal_id,
            "role": role,
            "surname": surname,
            "forenames": forenames,
            "date_of_birth": date_series(dob, missing=dob_missing),
            "sex": sex,
            "postcode": postcode,
            "no_fixed_abode": pl.Series(nfa.tolist(), dtype=pl.Boolean),
            "pnc_id": np.where(pnc_shown, pnc, None),
            "cro_number": np.where(cro_shown, cro, None),
            "gang_marker": gang,
            "_defect": defects,
        },
        schema_overrides={
            "postcode": pl.String,
            "pnc_id": pl.String,
            "cro_number": pl.String,
            "_defect": pl.String,
        },
    )


def _mo_texts(rng: np.random.Generator, o: dict[str, np.ndarray], people: People) -> np.ndarray:
    """Free-text modus operandi; a few name the victim, as real MO text does (the agreement drops the column)."""
    k = o["occ"].size
    family = o["mo"]
    choice = rng.random(k)
    acts = rng.integers(0, len(_ACTS), size=k)
    named = (rng.random(k) < 0.1) & (o["victim"] >= 0)
    out = np.empty(k, dtype=object)
    for i in range(k):
        options = _MO[family[i]]
        text = options[int(choice[i] * len(options))].format(act=_ACTS[acts[i]])
        if named[i]:
            text = f"IP {people.forename[o['victim'][i]].upper()} reports: {text}"
        out[i] = text
    return out
