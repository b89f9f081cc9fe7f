"""A fictional Violence Reduction Unit area: local authorities, wards, LSOAs, postcodes, schools and ED sites.

The geography follows ONS conventions so downstream code treats it like the real thing: LA codes `E06`/`E08` plus
six digits, wards `E05...`, LSOAs `E01...` (about 1,500 residents each) named `<LA> <MSOA number><letter>`, an
IMD-style deprivation decile per LSOA, and postcodes in valid UK format under postcode areas that do not exist
(`AW`, `TH`), so no synthetic address can be mistaken for a real one. Codes sit in unused ONS ranges (`...9xxxxx`).
Everything here is reference data, not personal data, and is derived from the seed alone.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RESIDENTS_PER_LSOA = 1_500
RESIDENTS_PER_POSTCODE = 40
LSOAS_PER_WARD = 5
LSOAS_PER_PRIMARY = 3
LSOAS_PER_SECONDARY = 12
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # unit letters never include C, I, K, M, O or V

AGE_BANDS: tuple[str, ...] = ("0-9", "10-14", "15-17", "18-24", "25-34", "35-49", "50-64", "65+")
AGE_BAND_LOWER = np.array([0, 10, 15, 18, 25, 35, 50, 65])


def age_band_index(ages: np.ndarray) -> np.ndarray:
    return np.searchsorted(AGE_BAND_LOWER, ages, side="right") - 1


@dataclass(frozen=True)
class LocalAuthority:
    code: str
    name: str
    csp_name: str
    dfe_number: int
    """The DfE 3-digit LA number used in UPNs."""
    postcode_area: str
    ed_site: str
    ed_site_name: str
    pru_urn: str
    pru_estab: int


_LA_TEMPLATES = (
    LocalAuthority(
        "E06000990",
        "Ashworth",
        "Safer Ashworth Partnership",
        880,
        "AW",
        "RX901",
        "Ashworth General Hospital",
        "",
        0,
    ),
    LocalAuthority(
        "E08000990",
        "Thornleigh",
        "Thornleigh Community Safety Partnership",
        881,
        "TH",
        "RX902",
        "Thornleigh Royal Infirmary",
        "",
        0,
    ),
)

_WARD_FIRST = (
    "Ash",
    "Oak",
    "Elm",
    "Mill",
    "Brook",
    "Stone",
    "Kings",
    "Queens",
    "Church",
    "Castle",
    "Park",
    "Moor",
    "Holly",
    "Fern",
    "Heath",
    "Marsh",
    "Wood",
    "Bridge",
    "Lark",
    "Bell",
    "Cherry",
    "Hawth",
    "Willow",
    "Red",
    "Black",
    "White",
    "Green",
    "Gold",
    "Fox",
    "Hare",
    "Beech",
    "Birch",
    "Cole",
    "Dun",
    "Frog",
    "Hazel",
    "Iron",
    "Kirk",
    "Lime",
    "Nut",
    "Pen",
    "Rook",
    "Salt",
    "Thorn",
    "Wren",
    "Yew",
    "Crow",
    "Deer",
    "Elder",
)
_WARD_SECOND = (
    "field",
    "brook",
    "gate",
    "side",
    "wood",
    "ley",
    "ton",
    "bury",
    "dale",
    "croft",
    "hill",
    "well",
    "ford",
    "cliffe",
    "mead",
    "lands",
    "hurst",
    "thorpe",
    "combe",
    "worth",
    "wick",
    "stead",
    "holme",
)
_STREET_TYPES = ("Road", "Street", "Lane", "Avenue", "Close", "Way", "Drive", "Crescent", "Grove", "Terrace")
_PUBS = (
    "The Red Lion",
    "The Crown",
    "The Royal Oak",
    "The White Hart",
    "The King's Arms",
    "The Plough",
    "The Swan",
    "The Railway",
    "The Bell",
    "The George",
    "The Wheatsheaf",
    "The Black Horse",
    "The Anchor",
    "The Rose and Crown",
    "The Star",
    "The Fox and Hounds",
    "The Queen's Head",
    "The Nag's Head",
)
_CLUBS = ("Pulse nightclub", "Echo bar", "Neon club", "The Warehouse club", "Velvet lounge", "Club Tropicana")
_QUALIFIERS = ("Park", "Community", "Village", "Junior", "Infant", "Church", "Green", "Valley")
_SAINTS = ("St Mary's", "St John's", "St Anne's", "St Peter's", "St Joseph's", "Holy Trinity", "St Michael's")


@dataclass(frozen=True)
class Area:
    """The whole geography, as parallel numpy arrays indexed by LSOA, ward, postcode and school."""

    las: tuple[LocalAuthority, ...]
    # LSOAs
    lsoa_code: np.ndarray
    lsoa_name: np.ndarray
    lsoa_ward: np.ndarray
    lsoa_la: np.ndarray
    lsoa_decile: np.ndarray
    lsoa_weight: np.ndarray  # share of residents, sums to 1
    lsoa_centre: np.ndarray  # town-centre LSOA: night-time economy and shops, a violence hotspot
    lsoa_primary: np.ndarray
    lsoa_secondary: np.ndarray
    lsoa_streets: tuple[tuple[str, ...], ...]
    lsoa_park: np.ndarray
    # wards
    ward_code: np.ndarray
    ward_name: np.ndarray
    # postcodes (grouped by LSOA: postcodes of LSOA i are pc_start[i] : pc_start[i] + pc_count[i])
    postcode: np.ndarray
    postcode_lsoa: np.ndarray
    pc_start: np.ndarray
    pc_count: np.ndarray
    # schools (primaries, secondaries, then one pupil referral unit per LA)
    school_urn: np.ndarray
    school_estab: np.ndarray
    school_name: np.ndarray
    school_phase: np.ndarray  # "primary", "secondary", "pru"
    school_la: np.ndarray
    school_lsoa: np.ndarray
    venues: tuple[tuple[str, ...], ...]  # pubs and clubs per LA centre

    @property
    def n_lsoa(self) -> int:
        return int(self.lsoa_code.size)

    def random_postcode(self, rng: np.random.Generator, lsoa: np.ndarray) -> np.ndarray:
        """A postcode index inside each given LSOA (uniform over the LSOA's postcodes)."""
        lsoa = np.asarray(lsoa, dtype=np.int64)
        return self.pc_start[lsoa] + (rng.random(lsoa.size) * self.pc_count[lsoa]).astype(np.int64)

    def pru_of_la(self, la: np.ndarray) -> np.ndarray:
        pru = np.flatnonzero(self.school_phase == "pru")
        return pru[np.asarray(la, dtype=np.int64)]


def build_area(people: int, seed: int) -> Area:
    """Build the area for a population of `people`. Deterministic in (`people`, `seed`)."""
    rng = np.random.default_rng([seed, 0xA4EA])
    n_lsoa = max(2, round(people / RESIDENTS_PER_LSOA))
    n_la = 2 if n_lsoa >= 8 else 1
    # The unitary authority is the larger; LSOAs are numbered LA by LA.
    la_sizes = [n_lsoa] if n_la == 1 else [n_lsoa - n_lsoa * 2 // 5, n_lsoa * 2 // 5]
    lsoa_la = np.repeat(np.arange(n_la), la_sizes)

    # Wards: consecutive runs of about five LSOAs inside each LA.
    lsoa_ward = np.empty(n_lsoa, dtype=np.int64)
    ward_la: list[int] = []
    position = 0
    for la, size in enumerate(la_sizes):
        n_wards = max(1, round(size / LSOAS_PER_WARD))
        bounds = np.linspace(0, size, n_wards + 1).round().astype(int)
        for w in range(n_wards):
            lsoa_ward[position + bounds[w] : position + bounds[w + 1]] = len(ward_la)
            ward_la.append(la)
        position += size
    n_ward = len(ward_la)
    name_pairs = [(a, b) for a in _WARD_FIRST for b in _WARD_SECOND]
    chosen = rng.choice(len(name_pairs), size=n_ward, replace=False)
    ward_name = np.array([name_pairs[i][0] + name_pairs[i][1] for i in chosen], dtype=object)
    ward_code = np.array([f"E05{900001 + i:06d}" for i in range(n_ward)], dtype=object)

    # Deprivation: spatially clustered (ward effect plus LSOA noise), skewed towards the deprived end as VRU areas
    # are; deciles assigned by rank so every area has a spread.
    ward_score = rng.normal(size=n_ward)
    score = 0.75 * ward_score[lsoa_ward] + 0.55 * rng.normal(size=n_lsoa)
    decile_share = np.array([0.18, 0.15, 0.12, 0.11, 0.10, 0.09, 0.08, 0.07, 0.05, 0.05])
    order = np.argsort(-score, kind="stable")  # highest score = most deprived = decile 1
    cut = np.floor(np.cumsum(decile_share) * n_lsoa + 0.5).astype(int)
    decile_by_rank = np.searchsorted(cut, np.arange(n_lsoa), side="right") + 1
    lsoa_decile = np.empty(n_lsoa, dtype=np.int64)
    lsoa_decile[order] = np.minimum(decile_by_rank, 10)

    lsoa_weight = np.clip(rng.normal(1.0, 0.15, size=n_lsoa), 0.6, 1.5)
    lsoa_weight = lsoa_weight / lsoa_weight.sum()

    # The town centre of each LA: its most deprived LSOA plus one neighbour for larger towns.
    lsoa_centre = np.zeros(n_lsoa, dtype=bool)
    for la in range(n_la):
        members = np.flatnonzero(lsoa_la == la)
        most = members[np.argmin(lsoa_decile[members] * 100 + np.arange(members.size))]
        lsoa_centre[most] = True
        if members.size >= 20:
            lsoa_centre[members[(np.flatnonzero(members == most)[0] + 1) % members.size]] = True

    lsoa_code = np.array([f"E01{900001 + i:06d}" for i in range(n_lsoa)], dtype=object)
    # ONS names LSOAs after their LA, MSOA number and a letter; here the ward stands in for the MSOA.
    lsoa_name = np.empty(n_lsoa, dtype=object)
    for ward in range(n_ward):
        members = np.flatnonzero(lsoa_ward == ward)
        la = ward_la[ward]
        msoa_number = ward - min(w for w in range(n_ward) if ward_la[w] == la) + 1
        for k, lsoa in enumerate(members):
            lsoa_name[lsoa] = f"{_LA_TEMPLATES[la].name} {msoa_number:03d}{chr(ord('A') + k)}"

    postcode, postcode_lsoa, pc_start, pc_count = _postcodes(rng, people, lsoa_la, lsoa_weight, la_sizes)

    streets = []
    for lsoa in range(n_lsoa):
        picks = rng.choice(len(name_pairs), size=5, replace=False)
        types = rng.choice(len(_STREET_TYPES), size=5)
        streets.append(
            tuple(f"{name_pairs[p][0]}{name_pairs[p][1]} {_STREET_TYPES[t]}" for p, t in zip(picks, types))
        )
    lsoa_park = np.array([f"{ward_name[lsoa_ward[i]]} Park" for i in range(n_lsoa)], dtype=object)

    schools = _schools(rng, lsoa_la, lsoa_ward, ward_name, la_sizes, n_la)
    las = tuple(
        LocalAuthority(
            t.code,
            t.name,
            t.csp_name,
            t.dfe_number,
            t.postcode_area,
            t.ed_site,
            t.ed_site_name,
            str(schools["urn"][schools["pru_index"][la]]),
            int(schools["estab"][schools["pru_index"][la]]),
        )
        for la, t in enumerate(_LA_TEMPLATES[:n_la])
    )
    venues = tuple(
        tuple(rng.choice(np.array(_PUBS, dtype=object), size=6, replace=False))
        + tuple(rng.choice(np.array(_CLUBS, dtype=object), size=2, replace=False))
        for _ in range(n_la)
    )
    return Area(
        las=las,
        lsoa_code=lsoa_code,
        lsoa_name=lsoa_name,
        lsoa_ward=lsoa_ward,
        lsoa_la=lsoa_la,
        lsoa_decile=lsoa_decile,
        lsoa_weight=lsoa_weight,
        lsoa_centre=lsoa_centre,
        lsoa_primary=schools["lsoa_primary"],
        lsoa_secondary=schools["lsoa_secondary"],
        lsoa_streets=tuple(streets),
        lsoa_park=lsoa_park,
        ward_code=ward_code,
        ward_name=ward_name,
        postcode=postcode,
        postcode_lsoa=postcode_lsoa,
        pc_start=pc_start,
        pc_count=pc_count,
        school_urn=schools["urn"],
        school_estab=schools["estab"],
        school_name=schools["name"],
        school_phase=schools["phase"],
        school_la=schools["la"],
        school_lsoa=schools["lsoa"],
        venues=venues,
    )


def _postcodes(
    rng: np.random.Generator, people: int, lsoa_la: np.ndarray, lsoa_weight: np.ndarray, la_sizes: list[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Postcode units per LSOA: districts of ~15 LSOAs, sectors of ~2 LSOAs, random unit letters per sector."""
    n_lsoa = lsoa_la.size
    pc_count = np.maximum(8, np.round(lsoa_weight * people / RESIDENTS_PER_POSTCODE)).astype(np.int64)
    codes: list[str] = []
    owner: list[int] = []
    units = np.array([a + b for a in INWARD_LETTERS for b in INWARD_LETTERS], dtype=object)
    first_of_la = np.concatenate([[0], np.cumsum(la_sizes)[:-1]])
    for lsoa in range(n_lsoa):
        la = int(lsoa_la[lsoa])
        local = lsoa - int(first_of_la[la])
        district = local // 15 + 1
        sector = (
            local % 15
        ) // 2  # two LSOAs share a sector, so a sector's units are shared out between them
        half = (local % 15) % 2
        pool = units[half::2]  # the two LSOAs of a sector take alternate unit codes: no collisions
        picks = rng.choice(pool.size, size=int(pc_count[lsoa]), replace=False)
        area_code = _LA_TEMPLATES[la].postcode_area
        for unit in np.sort(picks):
            codes.append(f"{area_code}{district} {sector}{pool[unit]}")
            owner.append(lsoa)
    pc_start = np.concatenate([[0], np.cumsum(pc_count)[:-1]]).astype(np.int64)
    return np.array(codes, dtype=object), np.array(owner, dtype=np.int64), pc_start, pc_count


def _schools(
    rng: np.random.Generator,
    lsoa_la: np.ndarray,
    lsoa_ward: np.ndarray,
    ward_name: np.ndarray,
    la_sizes: list[int],
    n_la: int,
) -> dict[str, np.ndarray]:
    """Primaries serving ~3 LSOAs, secondaries ~12, and one pupil referral unit per LA."""
    n_lsoa = lsoa_la.size
    urn, estab, name, phase, la_of, lsoa_of = [], [], [], [], [], []
    used_names: set[str] = set()
    lsoa_primary = np.empty(n_lsoa, dtype=np.int64)
    lsoa_secondary = np.empty(n_lsoa, dtype=np.int64)
    start = 0
    for la, size in enumerate(la_sizes):
        members = np.arange(start, start + size)
        start += size
        for kind, per, estab_base, table in (
            ("primary", LSOAS_PER_PRIMARY, 2000, lsoa_primary),
            ("secondary", LSOAS_PER_SECONDARY, 4000, lsoa_secondary),
        ):
            n_schools = max(1, round(size / per))
            groups = np.array_split(members, n_schools)
            for k, group in enumerate(groups):
                table[group] = len(urn)
                ward = ward_name[lsoa_ward[group[0]]]
                if kind == "primary":
                    label = (
                        f"{_SAINTS[k % len(_SAINTS)]} C of E Primary School"
                        if k % 5 == 4
                        else f"{ward} Primary School"
                    )
                else:
                    label = f"{ward} Academy" if k % 2 == 0 else f"{ward} High School"
                # Two schools in one ward would share a name; real ones are told apart by a qualifier.
                qualifier = 0
                base = label
                while label in used_names:
                    label = (
                        base.replace(" Primary", f" {_QUALIFIERS[qualifier % len(_QUALIFIERS)]} Primary")
                        .replace(" Academy", f" {_QUALIFIERS[qualifier % len(_QUALIFIERS)]} Academy")
                        .replace(" High", f" {_QUALIFIERS[qualifier % len(_QUALIFIERS)]} High")
                    )
                    if qualifier >= len(_QUALIFIERS):
                        label = f"{label} ({la + 1}{k})"
                    qualifier += 1
                used_names.add(label)
                urn.append(None)
                estab.append(estab_base + k + 1)
                name.append(label)
                phase.append(kind)
                la_of.append(la)
                lsoa_of.append(int(group[0]))
    pru_index = []
    for la in range(n_la):
        pru_index.append(len(urn))
        urn.append(None)
        estab.append(1100 + la + 1)
        name.append(f"{_LA_TEMPLATES[la].name} Pupil Referral Unit")
        phase.append("pru")
        la_of.append(la)
        lsoa_of.append(int(np.flatnonzero(lsoa_la == la)[0]))
    # Six-digit URNs in a range real schools do not use.
    urns = rng.choice(np.arange(900000, 1000000), size=len(urn), replace=False)
    return {
        "urn": np.array([str(u) for u in urns], dtype=object),
        "estab": np.array(estab, dtype=np.int64),
        "name": np.array(name, dtype=object),
        "phase": np.array(phase, dtype=object),
        "la": np.array(la_of, dtype=np.int64),
        "lsoa": np.array(lsoa_of, dtype=np.int64),
        "lsoa_primary": lsoa_primary,
        "lsoa_secondary": lsoa_secondary,
        "pru_index": np.array(pru_index, dtype=np.int64),
    }


def write_reference(area: Area, population: np.ndarray, folder: Path) -> dict[str, int]:
    """Write `areas.csv`, `population.csv`, `postcode_lsoa.csv`, `schools.csv` and `ed_sites.csv` into `folder`.

    `population` is a (LSOA, age band, sex) count array of the generated residents. Returns rows per file.
    """
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    rows = [
        (
            area.lsoa_code[i],
            area.lsoa_name[i],
            area.ward_code[area.lsoa_ward[i]],
            area.ward_name[area.lsoa_ward[i]],
            area.las[area.lsoa_la[i]].code,
            area.las[area.lsoa_la[i]].name,
            area.las[area.lsoa_la[i]].csp_name,
            int(area.lsoa_decile[i]),
        )
        for i in range(area.n_lsoa)
    ]
    counts["areas.csv"] = _write_csv(
        folder / "areas.csv",
        (
            "lsoa_code",
            "lsoa_name",
            "ward_code",
            "ward_name",
            "la_code",
            "la_name",
            "csp_name",
            "deprivation_decile",
        ),
        rows,
    )
    sexes = ("M", "F")
    rows = [
        (area.lsoa_code[i], AGE_BANDS[b], sexes[s], int(population[i, b, s]))
        for i in range(area.n_lsoa)
        for b in range(len(AGE_BANDS))
        for s in range(2)
    ]
    counts["population.csv"] = _write_csv(
        folder / "population.csv", ("lsoa_code", "age_band", "sex", "population"), rows
    )
    rows = [(area.postcode[i], area.lsoa_code[area.postcode_lsoa[i]]) for i in range(area.postcode.size)]
    counts["postcode_lsoa.csv"] = _write_csv(folder / "postcode_lsoa.csv", ("postcode", "lsoa_code"), rows)
    rows = [
        (
            area.school_urn[i],
            area.school_name[i],
            area.school_phase[i],
            area.las[area.school_la[i]].code,
            area.lsoa_code[area.school_lsoa[i]],
        )
        for i in range(area.school_urn.size)
    ]
    counts["schools.csv"] = _write_csv(
        folder / "schools.csv", ("school_urn", "school_name", "phase", "la_code", "lsoa_code"), rows
    )
    rows = [(la.ed_site, la.ed_site_name, la.code) for la in area.las]
    counts["ed_sites.csv"] = _write_csv(folder / "ed_sites.csv", ("site_code", "site_name", "la_code"), rows)
    return counts


def _write_csv(path: Path, header: tuple[str, ...], rows: list[tuple[object, ...]]) -> int:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return len(rows)
