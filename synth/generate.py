"""Generate a whole synthetic VRU: reference data, every partner's landing files, the truth and a manifest.

`generate(config, out, truth)` writes

- `out/reference/` areas.csv, population.csv, postcode_lsoa.csv, schools.csv, ed_sites.csv (reference data),
- `out/landing/<partner>/<file_stem>_<YYYY-MM>.<ext>` for police, probation, education and health,
- `out/synth_manifest.json` (parameters, counts per feed and file, configured and realised prevalences and the
  ED-vs-police gap),
- the truth CSV at `truth` (see `synth.truth`), which must lie outside `out/landing`.

Guarantees: the same config (seed included) gives byte-identical files; landing files contain no person id or
anything derived from one; memory is bounded by one chunk of people plus the largest single file; a period with no
records for a feed gets no file (a header-only file would be rejected as empty by ingestion).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from synth.area import AGE_BANDS, Area, age_band_index, build_area, write_reference
from synth.config import SynthConfig
from synth.contracts import contract
from synth.ids import IdentifierAllocator
from synth.lives.education import education_events
from synth.lives.health import GAP_WINDOW_DAYS, health_events
from synth.lives.police import police_events
from synth.lives.probation import probation_events
from synth.people import People, make_people
from synth.spool import Spool
from synth.truth import TruthWriter
from synth.writers import education as edu_writer
from synth.writers import health as health_writer
from synth.writers import police as police_writer
from synth.writers import probation as probation_writer

MANIFEST_NAME = "synth_manifest.json"
LANDING = "landing"
REFERENCE = "reference"
FEEDS: tuple[tuple[str, str], ...] = (
    ("police", "police_occurrences"),
    ("police", "police_nominals"),
    ("probation", "probation_caseload"),
    ("education", "education_census"),
    ("education", "education_exclusions"),
    ("health", "ed_attendances"),
    ("health", "ed_assaults"),
)
EXTENSIONS = {
    "police_occurrences": "csv",
    "police_nominals": "csv",
    "probation_caseload": "jsonl",
    "education_census": "xlsx",
    "education_exclusions": "csv",
    "ed_attendances": "csv",
    "ed_assaults": "csv",
}
# Independent random streams per chunk and purpose, so changing one generator leaves the others' draws alone.
_STREAM_PEOPLE, _STREAM_EDUCATION, _STREAM_POLICE, _STREAM_HEALTH, _STREAM_PROBATION = range(1, 6)

ProgressCallback = Callable[[str, int, int], None]
"""Called as (phase, done, total): phase "people" counts residents generated, "files" counts files written."""


@dataclass
class SynthResult:
    """What a run wrote: folders, the manifest (also saved as `synth_manifest.json`) and the landing files."""

    out: Path
    truth: Path
    manifest: dict[str, Any]
    files: list[Path] = field(default_factory=list)
    stale_files: list[Path] = field(default_factory=list)
    """Files in the landing folders that look like feed files but were not written by this run."""


def generate(
    config: SynthConfig,
    out: Path,
    truth: Path,
    progress: ProgressCallback | None = None,
) -> SynthResult:
    """Generate the synthetic data set described by `config` under `out`, and its truth at `truth`."""
    out = Path(out)
    truth = Path(truth)
    landing = out / LANDING
    if truth.resolve().is_relative_to(landing.resolve()):
        raise ValueError(
            "the truth file must not be written inside the landing zone (partners would 'send' it)"
        )
    report = progress or (lambda phase, done, total: None)
    area = build_area(config.people, config.seed)
    allocator = IdentifierAllocator(config.people)
    out.mkdir(parents=True, exist_ok=True)
    spool = Spool(out)
    population = np.zeros((area.n_lsoa, len(AGE_BANDS), 2), dtype=np.int64)
    stats: dict[str, float] = {}
    households = 0
    adults = 0
    try:
        done = 0
        chunk = 0
        report("people", 0, config.people)
        while done < config.people:
            size = min(config.chunk_size, config.people - done)
            streams = [np.random.default_rng([config.seed, chunk, s]) for s in range(6)]
            people = make_people(config, area, allocator, streams[_STREAM_PEOPLE], done, size)
            np.add.at(population, (people.lsoa0, age_band_index(people.age), people.sex), 1)
            households += int(people.hh_size.size)
            adults += int((people.age >= 18).sum())
            edu = education_events(config, area, people, allocator, streams[_STREAM_EDUCATION])
            police = police_events(
                config, area, people, edu.signals, allocator, streams[_STREAM_POLICE], chunk
            )
            health = health_events(config, area, people, police, edu.signals, streams[_STREAM_HEALTH], chunk)
            self_harm = people_of(health.attendances.filter(pl.col("injury_intent") == "self_harm"), people)
            probation = probation_events(
                config, area, people, police, allocator, streams[_STREAM_PROBATION], self_harm
            )
            spool.add("police_occurrences", chunk, police.occurrences)
            spool.add("police_nominals", chunk, police.nominals)
            for frame in edu.census.values():
                spool.add("education_census", chunk, frame)
            spool.add("education_exclusions", chunk, edu.exclusions)
            spool.add("ed_attendances", chunk, health.attendances)
            spool.add("ed_assaults", chunk, health.assaults)
            for frame in probation.snapshots.values():
                spool.add("probation_caseload", chunk, frame)
            for part in (edu.stats, police.stats, health.stats, probation.stats):
                for key, value in part.items():
                    stats[key] = stats.get(key, 0.0) + value
            stats["gang_members"] = stats.get("gang_members", 0.0) + float(people.gang.sum())
            done += size
            chunk += 1
            report("people", done, config.people)
        files, counts, invalid, truth_rows = _write_files(config, area, spool, landing, truth, report)
    finally:
        spool.remove()
    reference_counts = write_reference(area, population, out / REFERENCE)
    stale = _stale_files(landing, set(files))
    manifest = _manifest(
        config, area, counts, invalid, reference_counts, stats, households, adults, truth_rows, truth.name
    )
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return SynthResult(out=out, truth=truth, manifest=manifest, files=sorted(files), stale_files=stale)


def people_of(frame: pl.DataFrame, people: People) -> np.ndarray:
    """Local person indices of the rows of `frame` (by its `_pid`)."""
    return frame["_pid"].to_numpy() - int(people.pid[0])


def _write_files(
    config: SynthConfig,
    area: Area,
    spool: Spool,
    landing: Path,
    truth_path: Path,
    report: ProgressCallback,
) -> tuple[list[Path], dict[str, dict[str, int]], dict[str, int], int]:
    """Assemble each partner file from the spool, in period order, and its truth rows."""
    window = config.window
    plan: list[tuple[str, str, str]] = []
    for partner, feed in FEEDS:
        periods = window.census_periods if feed == "education_census" else window.periods
        for period in periods:
            plan.append((partner, feed, period))
    truth = TruthWriter(truth_path)
    police_state = police_writer.PoliceState()
    files: list[Path] = []
    counts: dict[str, dict[str, int]] = {feed: {} for _, feed in FEEDS}
    invalid: dict[str, int] = {feed: 0 for _, feed in FEEDS}
    authority = area.las[0].name
    report("files", 0, len(plan))
    try:
        for step, (partner, feed, period) in enumerate(plan, start=1):
            frame = spool.read(feed, period)
            if frame is None or frame.height == 0:
                report("files", step, len(plan))
                continue
            spec = contract(feed)
            name = f"{spec.file_stem}_{period}.{EXTENSIONS[feed]}"
            folder = landing / partner
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            if feed == "police_occurrences":
                frame = police_writer.order_occurrences(frame, period, police_state)
                police_writer.write_occurrences(frame, path)
            elif feed == "police_nominals":
                frame = police_writer.order_nominals(frame, period, police_state)
                police_writer.write_nominals(frame, path)
            elif feed == "probation_caseload":
                frame = probation_writer.order_caseload(frame)
                probation_writer.write_caseload(frame, path)
            elif feed == "education_census":
                frame = edu_writer.order_census(frame)
                edu_writer.write_census(frame, path, period, authority)
            elif feed == "education_exclusions":
                frame = edu_writer.order_exclusions(frame)
                edu_writer.write_exclusions(frame, path)
            elif feed == "ed_attendances":
                frame = health_writer.order_attendances(frame)
                health_writer.write_attendances(frame, path)
            elif feed == "ed_assaults":
                frame = health_writer.order_assaults(frame, period)
                health_writer.write_assaults(frame, path)
            truth.add(feed, name, frame, spec.record_key)
            files.append(path)
            counts[feed][f"{LANDING}/{partner}/{name}"] = frame.height
            invalid[feed] += int(frame["_defect"].is_not_null().sum())
            report("files", step, len(plan))
    finally:
        truth.close()
    return files, counts, invalid, truth.rows


def _stale_files(landing: Path, written: set[Path]) -> list[Path]:
    stems = tuple(f"{contract(feed).file_stem}_" for _, feed in FEEDS)
    found = [p for p in landing.rglob("*") if p.is_file() and p.name.startswith(stems) and p not in written]
    return sorted(found)


def _manifest(
    config: SynthConfig,
    area: Area,
    counts: dict[str, dict[str, int]],
    invalid: dict[str, int],
    reference_counts: dict[str, int],
    stats: dict[str, float],
    households: int,
    adults: int,
    truth_rows: int,
    truth_name: str,
) -> dict[str, Any]:
    """Deterministic run description: no timestamps or absolute paths, so reruns compare byte for byte."""
    window = config.window
    years = window.years_covered
    people = config.people

    def per_1000(key: str) -> float:
        return round(stats.get(key, 0.0) / people / years * 1000, 3)

    def share(num: str, den: str) -> float | None:
        d = stats.get(den, 0.0)
        return round(stats.get(num, 0.0) / d, 4) if d else None

    assaults = stats.get("ed_assault_attendances", 0.0)
    covered = stats.get("ed_assault_with_police_contact_30d", 0.0)
    feeds = {
        feed: {
            "files": len(counts[feed]),
            "rows": sum(counts[feed].values()),
            "invalid_rows": invalid[feed],
            "invalid_share": round(invalid[feed] / max(1, sum(counts[feed].values())), 5),
        }
        for _, feed in FEEDS
    }
    months = len(window.periods)
    return {
        "generator": "vrlake synth",
        "manifest_version": 1,
        "seed": config.seed,
        "parameters": config.as_dict(),
        "window": {
            "start": window.start.isoformat(),
            "end": window.end.isoformat(),
            "periods": list(window.periods),
            "census_periods": list(window.census_periods),
        },
        "area": {
            "local_authorities": [
                {
                    "code": la.code,
                    "name": la.name,
                    "csp_name": la.csp_name,
                    "ed_site": la.ed_site,
                    "postcode_area": la.postcode_area,
                }
                for la in area.las
            ],
            "lsoas": int(area.n_lsoa),
            "wards": int(area.ward_code.size),
            "postcodes": int(area.postcode.size),
            "schools": int(area.school_urn.size),
        },
        "population": {"people": people, "households": households, "adults": adults},
        "reference_files": {f"{REFERENCE}/{k}": v for k, v in reference_counts.items()},
        "feeds": feeds,
        "files": {name: rows for feed in counts for name, rows in sorted(counts[feed].items())},
        "truth": {"file_name": truth_name, "rows": truth_rows},
        "ed_police_gap": {
            "definition": "share of ED assault attendances (person-incidents) with no police nominal record of the "
            f"same person within ±{GAP_WINDOW_DAYS} days of arrival, measured on the truth",
            "configured": config.prevalence.ed_police_gap,
            "realised": round(1 - covered / assaults, 4) if assaults else None,
            "assault_attendances": int(assaults),
            "with_police_record_within_window": int(covered),
            "linked_to_the_same_police_incident": int(stats.get("ed_assault_linked_to_police_incident", 0)),
        },
        "prevalence": {
            "configured": config.as_dict()["prevalence"],
            "realised": {
                "police_violence_per_1000_per_year": per_1000("police_violence_occurrences"),
                "police_occurrences_per_1000_per_year": per_1000("police_occurrences"),
                "domestic_abuse_share_of_violence_against_a_person": share(
                    "police_domestic_abuse_occurrences", "police_person_violence_occurrences"
                ),
                "domestic_abuse_with_child_present": int(stats.get("police_da_with_child_present", 0)),
                "repeat_victim_share": share("police_repeat_victims", "police_victims_distinct"),
                "missing_person_records": int(stats.get("police_missing_person_records", 0)),
                "ed_assault_per_1000_per_year": per_1000("ed_assault_attendances"),
                "ed_self_harm_per_1000_per_year": per_1000("ed_self_harm_attendances"),
                "ed_nhs_number_missing_share": share("ed_nhs_number_missing", "ed_attendances"),
                "probation_cases": int(stats.get("probation_cases", 0)),
                "probation_share_of_adults_per_snapshot": round(
                    stats.get("probation_snapshot_rows", 0.0) / months / max(adults, 1), 5
                ),
                "probation_gang_register": int(stats.get("probation_gang_register", 0)),
                "gang_members": int(stats.get("gang_members", 0)),
                "pupils_on_roll": int(stats.get("pupils_on_roll", 0)),
                "suspensions_per_100_pupils_per_year": round(
                    stats.get("suspensions", 0.0) / max(stats.get("pupil_years", 0.0), 1e-9) * 100, 3
                ),
                "pupils_with_suspension_share": share("pupils_with_suspension", "pupils_on_roll"),
                "permanent_exclusions": int(stats.get("permanent_exclusions", 0)),
                "fsm_share": share("pupils_fsm", "pupils_on_roll"),
                "sen_support_share": share("pupils_sen_support", "pupils_on_roll"),
                "ehc_plan_share": share("pupils_ehc_plan", "pupils_on_roll"),
                "semh_share": share("pupils_semh", "pupils_on_roll"),
                "child_in_need_share": share("pupils_cin", "pupils_on_roll"),
                "child_protection_share": share("pupils_cpp", "pupils_on_roll"),
                "looked_after_share": share("pupils_lac", "pupils_on_roll"),
                "persistent_absence_share": share("pupils_persistent_absence", "pupils_on_roll"),
                "severe_absence_share": share("pupils_severe_absence", "pupils_on_roll"),
            },
        },
        "noise": {
            "configured": config.as_dict()["noise"],
            "realised": {
                "invalid_rows": sum(invalid.values()),
                "invalid_share": round(sum(invalid.values()) / max(1, truth_rows), 5),
                "exclusion_rows_with_temporary_upn": int(stats.get("exclusion_rows_temporary_upn", 0)),
            },
        },
    }
