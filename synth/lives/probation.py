"""The probation caseload: sentences supervised by probation, with OASys needs, RoSH and registers.

The caseload at any time is about `probation_share_of_adults` of adults, drawn from people with high offending
propensity: a stock of cases already running when the window opens, plus new starts during it (adults charged in
the window's police data first, then others with a criminal record). Each month-end snapshot lists every case
open that day, so one case appears in many monthly files with the same CRN, as nDelius extracts do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from synth.area import Area
from synth.config import SynthConfig, period_end
from synth.ids import IdentifierAllocator
from synth.lives.common import Clock, date_series, pick, to_frame, weighted_choice
from synth.lives.police import PoliceResult
from synth.noise import choose_defects, identity_variant, record_postcodes
from synth.people import MALE, People, days, offending_weight, ymd

_SENTENCES = (
    ("community_order", 35, 12, 24),
    ("suspended_sentence", 25, 12, 24),
    ("licence", 30, 6, 36),
    ("post_sentence_supervision", 10, 12, 12),
)
_INDEX_OFFENCES = (
    ("8N", 14),
    ("105A", 12),
    ("5D", 6),
    ("34B", 5),
    ("10D", 5),
    ("8L", 5),
    ("28E", 8),
    ("46", 10),
    ("49", 6),
    ("92A", 7),
    ("92D", 6),
    ("58A", 4),
    ("125", 5),
    ("3A", 2),
    ("8Q", 2),
    ("2", 1),
    ("11A", 1),
    ("104", 1),
)
_VIOLENT = {
    "8N",
    "105A",
    "5D",
    "34B",
    "8L",
    "3A",
    "8Q",
    "2",
    "11A",
    "104",
    "10D",
    "1",
    "4/1",
    "5E",
    "8P",
    "8S",
}
NEEDS = (
    "need_accommodation",
    "need_ete",
    "need_relationships",
    "need_lifestyle",
    "need_drugs",
    "need_alcohol",
    "need_thinking_behaviour",
    "need_attitudes",
    "need_finance",
    "need_emotional",
)


@dataclass
class ProbationResult:
    snapshots: dict[str, pl.DataFrame]
    stats: dict[str, float] = field(default_factory=dict)


def probation_events(
    config: SynthConfig,
    area: Area,
    people: People,
    police: PoliceResult,
    allocator: IdentifierAllocator,
    rng: np.random.Generator,
    self_harm_people: np.ndarray,
) -> ProbationResult:
    prev = config.prevalence
    clock = Clock(config)
    adults = np.flatnonzero(people.age >= 18)
    caseload = prev.probation_share_of_adults * adults.size
    mean_months = 16.0
    inflow = caseload / mean_months * len(config.window.periods)
    w = offending_weight(people, adults) * np.where([p is not None for p in people.pnc[adults]], 3.0, 1.0)

    # Stock at the window start: cases that started up to three years earlier and are still open.
    stock = weighted_choice(rng, adults, w, round(caseload), replace=False)
    kind_s, length_s = _sentence(rng, stock.size)
    start_s = clock.start - (rng.random(stock.size) * length_s * 30.4).astype(np.int64)
    code_s = pick(rng, tuple(c for c, _ in _INDEX_OFFENCES), tuple(x for _, x in _INDEX_OFFENCES), stock.size)

    # New starts: adults charged in the window (sentenced two to six months later), then others.
    charged = police.charged
    adult_charge = people.age[charged["person"]] >= 18
    order = rng.random(adult_charge.size) < 0.4
    pick_c = np.flatnonzero(adult_charge & order)
    _, first = np.unique(charged["person"][pick_c], return_index=True)
    pick_c = pick_c[np.sort(first)]
    new_c = charged["person"][pick_c]
    start_c = charged["day"][pick_c] + rng.integers(60, 180, size=pick_c.size)
    code_c = charged["code"][pick_c]
    in_time = start_c <= clock.end
    new_c, start_c, code_c = new_c[in_time], start_c[in_time], code_c[in_time]
    remaining = max(0, round(inflow) - new_c.size)
    others = weighted_choice(rng, adults, w, remaining)
    start_o = clock.uniform_days(rng, others.size)
    code_o = pick(
        rng, tuple(c for c, _ in _INDEX_OFFENCES), tuple(x for _, x in _INDEX_OFFENCES), others.size
    )
    kind_n, length_n = _sentence(rng, new_c.size + others.size)

    person = np.concatenate([stock, new_c, others]).astype(np.int64)
    kind = np.concatenate([kind_s, kind_n])
    length = np.concatenate([length_s, length_n])
    start = np.concatenate([start_s, start_c, start_o]).astype(np.int64)
    code = np.concatenate([code_s, code_c, code_o])
    # One open case per person: keep the earliest-starting.
    order = np.lexsort((start, person))
    person, kind, length, start, code = (a[order] for a in (person, kind, length, start, code))
    first = np.concatenate([[True], person[1:] != person[:-1]]) if person.size else np.zeros(0, bool)
    person, kind, length, start, code = (a[first] for a in (person, kind, length, start, code))
    end = start + (length * 30.4).astype(np.int64)
    cases = person.size

    # People on probation have PNC records.
    lacking = np.flatnonzero(np.array([people.pnc[p] is None for p in person], dtype=bool))
    if lacking.size:
        years = ymd(start[lacking])[0]
        people.pnc[person[lacking]] = allocator.pnc_ids(rng, years)
        people.pnc_year[person[lacking]] = years

    risk = people.risk[person]
    age = people.age[person]
    violent = np.isin(code, list(_VIOLENT))
    da_people = np.unique(charged["person"][charged["da"]])
    da_case = np.isin(person, da_people)
    needs = {}
    for name, slope, base in (
        ("need_accommodation", 0.6, -0.6),
        ("need_ete", 0.7, 0.0),
        ("need_relationships", 0.5, -0.2),
        ("need_lifestyle", 0.8, 0.1),
        ("need_drugs", 0.7, -0.3),
        ("need_alcohol", 0.5, -0.5),
        ("need_thinking_behaviour", 0.9, 0.4),
        ("need_attitudes", 0.8, -0.1),
        ("need_finance", 0.5, -0.2),
        ("need_emotional", 0.5, -0.2),
    ):
        latent = base + slope * risk + rng.normal(0, 0.9, size=cases)
        needs[name] = np.digitize(latent, [0.3, 1.3]).astype(np.int64)
    needs["need_ete"] = np.where(age < 25, np.maximum(needs["need_ete"], 1), needs["need_ete"])
    rosh_latent = 0.8 * risk + 1.0 * violent + 0.8 * da_case + rng.normal(0, 0.7, size=cases)
    rosh = np.array(["Low", "Medium", "High", "Very High"], dtype=object)[
        np.digitize(rosh_latent, [0.4, 2.0, 3.4])
    ]
    nfa = needs["need_accommodation"] == 2
    nfa &= rng.random(cases) < 0.4
    kids = people.hh_children[person] > 0
    registers = []
    self_harm = np.isin(person, self_harm_people)
    for i in range(cases):
        flags = []
        if people.gang[person[i]]:
            flags.append("STRG")
        if (da_case[i] and kids[i]) or (code[i] == "11A"):
            flags.append("RCHD")
        if self_harm[i] or needs["need_emotional"][i] == 2 and rng.random() < 0.5:
            flags.append("RMDO")
        if rosh[i] in ("High", "Very High") and violent[i] and rng.random() < 0.4:
            flags.append("MAPP")
        if da_case[i]:
            flags.append("DASO")
        registers.append(flags)
    registers_arr = np.empty(cases, dtype=object)
    registers_arr[:] = registers

    crn = allocator.crns(rng, cases)
    ident = identity_variant(people, person, "probation", config.noise, rng)
    sex = np.where(people.sex[person] == MALE, "M", "F").astype(object)
    pnc_recorded = rng.random(cases) < 0.9
    end_known = rng.random(cases) < 0.95

    snapshots: dict[str, pl.DataFrame] = {}
    for period in config.window.periods:
        day = days(period_end(period))
        open_ = (start <= day) & (end >= day)
        idx = np.flatnonzero(open_)
        m = idx.size
        postcode = record_postcodes(
            people, person[idx], np.full(m, day), area.postcode, config.noise, rng, blank_scale=0.5
        )
        postcode[nfa[idx]] = None
        pnc = people.pnc[person[idx]]
        show_pnc = pnc_recorded[idx] & np.array([p is not None for p in pnc], dtype=bool)
        defects = choose_defects(
            m,
            (
                "missing:sentence_start",
                "unknown_code:sentence_type",
                "bad_date:date_of_birth",
                "bad_check:pnc_id",
            ),
            config.noise.invalid_row_rate,
            rng,
        )
        defects[(defects == "bad_check:pnc_id") & ~show_pnc] = "unknown_code:sentence_type"
        frame = {
            "_pid": people.pid[person[idx]],
            "_period": np.full(m, period, dtype=object),
            "crn": crn[idx],
            "pnc_id": np.where(show_pnc, pnc, None),
            "forenames": ident.forenames[idx],
            "surname": ident.surname[idx],
            "date_of_birth": date_series(ident.dob[idx]),
            "sex": sex[idx],
            "postcode": postcode,
            "no_fixed_abode": nfa[idx],
            "sentence_type": kind[idx],
            "sentence_start": date_series(start[idx]),
            "sentence_end": date_series(end[idx], missing=~end_known[idx]),
            "index_offence_code": code[idx],
            "rosh": rosh[idx],
        }
        for name in NEEDS:
            frame[name] = needs[name][idx]
        frame["registers"] = pl.Series("registers", list(registers_arr[idx]), dtype=pl.List(pl.String))
        frame["_defect"] = defects
        snapshots[period] = to_frame(
            frame, schema_overrides={"pnc_id": pl.String, "postcode": pl.String, "_defect": pl.String}
        )
    stats = {
        "probation_cases": float(cases),
        "probation_cases_from_window_charges": float(new_c.size),
        "probation_snapshot_rows": float(sum(f.height for f in snapshots.values())),
        "probation_gang_register": float(sum("STRG" in r for r in registers)),
    }
    return ProbationResult(snapshots=snapshots, stats=stats)


def _sentence(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sentence kinds and lengths in months."""
    shares = np.array([s[1] for s in _SENTENCES], dtype=float)
    kind = rng.choice(len(_SENTENCES), size=n, p=shares / shares.sum())
    low = np.array([s[2] for s in _SENTENCES])[kind]
    high = np.array([s[3] for s in _SENTENCES])[kind]
    length = low + rng.random(n) * (high - low)
    return np.array([s[0] for s in _SENTENCES], dtype=object)[kind], length
