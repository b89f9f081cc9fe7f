"""A small lake for dbt tests: bronze, reference, linkage and ops Delta tables with known, hand-countable content.

The numbers are chosen so that each disclosure-control outcome appears in the marts (see the expectations in
``test_dbt_build.py``):

- police, January 2026: LSOA A 12 violent occurrences (published 10), LSOA B 3 violent + 2 non-violent
  (suppressed), LSOA C none (published 0), 3 with no location (only in the whole-area total: 18 -> 20);
  February: one in LSOA C (suppressed). One January occurrence is delivered again, corrected, in February.
- police nominals: men born 2005-04 (18-24) living in LSOA A: victims person-0..7 of A00..A07, suspect person-8
  of A08, victim person-9 of C-feb, and an unlinked second person (suspect) on A01.
- ED ISTV, January: LSOA A 8 (published 10), LSOA B 1 (suppressed), 1 with no location.
- ED attendances, January: 20 assaults (+2 self-harm). Linkage places 19 of them: 8 are police victims within
  the match window, 11 are not (one victim is 46 days away, one is only a suspect); 1 awaits linkage.
- ED attendances are women born 2004-09 (18-24) living in LSOA B; ISTV rows are men aged 18-24.
- linkage: person-0..9 are known to the police and the ED, person-10..18 to the ED only (19 people).
- probation: snapshots for 2026-01 (re-delivered, replacing the first file) and 2026-02 (not linked).
- education feeds: empty tables, as ingestion creates them before the first delivery.
- ops/quality: the January police occurrences delivery had two fields 100% and 80% complete, median lag 20 days.
- population: every LSOA split evenly over 8 age bands x 2 sexes (the remainder in 65+ M).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

import polars as pl
from deltalake import write_deltalake

from tests.integration.dbt.bronze_schema import REFERENCE_SCHEMAS, bronze_schema, feeds

LSOA_A: Final = "E01000001"
LSOA_B: Final = "E01000002"
LSOA_C: Final = "E01000003"
WARD_CENTRAL: Final = "E05000001"
WARD_HILLSIDE: Final = "E05000002"
LA: Final = "E06000001"
POPULATION: Final = {LSOA_A: 1500, LSOA_B: 1200, LSOA_C: 1000}
AGE_BANDS: Final = ("0-9", "10-14", "15-17", "18-24", "25-34", "35-49", "50-64", "65+")
"""The ONS population reference's age bands (and ISTV's), as in dbt var age_bands."""

# Violence codes from four Home Office categories, and one code from the "other" list.
VIOLENCE_CODES: Final = ("8N", "105A", "2", "34A", "10A", "8L")
NON_VIOLENT_CODE: Final = "28E"


def token(*parts: object) -> str:
    """A stand-in for ingestion's keyed tokens: deterministic hex, unique per input."""
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def _at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC)


class LakeWriter:
    """Writes Delta tables under ``lake_uri`` (a folder or ``az://<container>``) with the schemas dbt declares."""

    def __init__(
        self, repo_root: Path, lake_uri: str, storage_options: Mapping[str, str] | None = None
    ) -> None:
        self.repo_root = repo_root
        self.lake_uri = lake_uri.rstrip("/")
        self.storage_options = dict(storage_options) if storage_options else None

    def write(self, table: str, rows: list[Mapping[str, Any]], schema: Mapping[str, pl.DataType]) -> None:
        frame = (
            pl.DataFrame(rows, schema=dict(schema), orient="row")
            if rows
            else pl.DataFrame(schema=dict(schema))
        )
        # As ingestion writes (ingestors.lake): Arrow from polars through deltalake, so no Arrow view types reach the
        # Parquet files (the staging models' delivery filter is pushed into pyarrow, which cannot compare them).
        write_deltalake(
            f"{self.lake_uri}/{table}", frame.to_arrow(), mode="overwrite", storage_options=self.storage_options
        )

    def bronze(
        self, feed: str, deliveries: Iterable[tuple[Mapping[str, str], list[dict[str, Any]]]] = ()
    ) -> None:
        """Write ``bronze/<feed>``: each delivery's rows get its lineage columns; no deliveries = empty table."""
        schema = bronze_schema(self.repo_root, feed)
        rows: list[dict[str, Any]] = []
        for delivery, content_rows in deliveries:
            for number, content in enumerate(content_rows, start=1):
                row = {name: None for name in schema}
                row.update(content)
                row.update(
                    _delivery_id=delivery["delivery_id"],
                    _source_file=delivery["source_file"],
                    _row_number=number,
                    _period=delivery["period"],
                    _ingested_at=_at(delivery["ingested_at"]),
                    _contract_version=1,
                    _agreement_version=1,
                )
                unknown = set(row) - set(schema)
                if unknown:
                    raise ValueError(f"{feed}: columns not in the bronze schema: {sorted(unknown)}")
                rows.append(row)
        self.write(f"bronze/{feed}", rows, schema)


def _delivery(delivery_id: str, source_file: str, period: str, ingested_at: str) -> dict[str, str]:
    return {
        "delivery_id": delivery_id,
        "source_file": source_file,
        "period": period,
        "ingested_at": ingested_at,
    }


def _occurrence(
    ref: str, offence_date: str, code: str, lsoa: str | None, *, postcode_lsoa: str | None = None
) -> dict:
    return {
        "_record_key": token("occ", ref),
        "occurrence_ref_token": token("occ-ref", ref),
        "recorded_date": dt.date.fromisoformat(offence_date),
        "offence_date": dt.date.fromisoformat(offence_date),
        "offence_time": "22:30",
        "ho_code": code,
        "crime_type": "violence" if code != NON_VIOLENT_CODE else "criminal damage",
        "outcome_code": "1",
        "location_lsoa": lsoa,
        "location_postcode_lsoa": postcode_lsoa,
        "domestic_abuse": False,
        "weapon_flag": code == "34A",
        "child_present": False,
    }


def _nominal(occurrence_ref: str, nominal: str, role: str) -> dict:
    return {
        "_record_key": token("nom", occurrence_ref, nominal, role),
        "occurrence_ref_token": token("occ-ref", occurrence_ref),
        "nominal_id_token": token("nominal", nominal),
        "role": role,
        "sex": "M",
        "birth_year_month": "2005-04",
        "postcode_lsoa": LSOA_A,
    }


def _ed_attendance(attendance: str, arrival: str, intent: str, *, injury: str | None = None) -> dict:
    return {
        "_record_key": token("att", attendance),
        "attendance_id_token": token("att-id", attendance),
        "arrival_date": dt.date.fromisoformat(arrival),
        "arrival_time": "01:15",
        "injury_date": dt.date.fromisoformat(injury) if injury else None,
        "injury_intent": intent,
        "injury_mechanism": "sharp_object" if intent == "assault" else "other",
        "sex": "F",
        "birth_year_month": "2004-09",
        "postcode_lsoa": LSOA_B,
        "site_code": "RVA01",
    }


def _istv(ref: str, assault_date: str, lsoa: str | None, means: str = "body_part") -> dict:
    return {
        "_record_key": token("istv", ref),
        "istv_ref": ref,
        "site_code": "RVA01",
        "arrival_date": dt.date.fromisoformat(assault_date),
        "arrival_time": "02:00",
        "assault_date": dt.date.fromisoformat(assault_date),
        "assault_time": "01:30",
        "age_band": "18-24",
        "sex": "M",
        "means_of_assault": means,
        "location_type": "street",
        "location_lsoa": lsoa,
    }


def _caseload(crn: str) -> dict:
    return {
        "_record_key": token("crn", crn),
        "crn_token": token("crn-id", crn),
        "sex": "M",
        "birth_year_month": "1999-01",
        "sentence_type": "licence",
        "sentence_start": dt.date(2025, 6, 1),
        "rosh": "High",
        "need_accommodation": 2,
        "registers": "STRG;RCHD",
    }


def write_reference(lake: LakeWriter) -> None:
    names = {LSOA_A: "Valley Central 001A", LSOA_B: "Valley Central 001B", LSOA_C: "Hillside 002A"}
    wards = {
        LSOA_A: (WARD_CENTRAL, "Central"),
        LSOA_B: (WARD_CENTRAL, "Central"),
        LSOA_C: (WARD_HILLSIDE, "Hillside"),
    }
    lake.write(
        "reference/areas",
        [
            {
                "lsoa_code": lsoa,
                "lsoa_name": names[lsoa],
                "ward_code": wards[lsoa][0],
                "ward_name": wards[lsoa][1],
                "la_code": LA,
                "la_name": "Fictional Valley",
                "csp_name": "Fictional Valley CSP",
                "deprivation_decile": decile,
            }
            for lsoa, decile in ((LSOA_A, 2), (LSOA_B, 5), (LSOA_C, 9))
        ],
        REFERENCE_SCHEMAS["reference/areas"],
    )
    # Every age band x sex cell of an LSOA gets an equal share; the remainder goes to the last cell (65+ M).
    population_rows = []
    cells = [(band, sex) for band in AGE_BANDS for sex in ("F", "M")]
    for lsoa, total in POPULATION.items():
        share = total // len(cells)
        for index, (age_band, sex) in enumerate(cells):
            count = share if index < len(cells) - 1 else total - share * (len(cells) - 1)
            population_rows.append({"lsoa_code": lsoa, "age_band": age_band, "sex": sex, "population": count})
    lake.write("reference/population", population_rows, REFERENCE_SCHEMAS["reference/population"])


def write_scenario(
    repo_root: Path,
    lake_uri: str,
    *,
    storage_options: Mapping[str, str] | None = None,
    with_linkage: bool = True,
) -> None:
    """Write the whole scenario (see the module docstring) under ``lake_uri``.

    ``with_linkage=False`` leaves ``linkage/person_index`` absent, as before the first linkage run.
    """
    lake = LakeWriter(repo_root, lake_uri, storage_options)
    written: set[str] = set()
    write_reference(lake)
    ledger: list[dict[str, Any]] = []

    def loaded(feed: str, partner: str, delivery: Mapping[str, str], rows: int) -> None:
        written.add(feed)
        ledger.append(_ledger_row(delivery, feed, partner, "loaded", rows))

    # Police occurrences: January delivery, then a February delivery with one corrected January record.
    pol_jan = _delivery("d-pol-2026-01", "police_occurrences_2026-01.csv", "2026-01", "2026-02-01T06:00:00")
    pol_feb = _delivery("d-pol-2026-02", "police_occurrences_2026-02.csv", "2026-02", "2026-03-01T06:00:00")
    january: list[dict] = []
    for n in range(12):
        postcode_only = n == 0  # the force left location_lsoa blank; the postcode's LSOA places it
        january.append(
            _occurrence(
                f"A{n:02d}",
                f"2026-01-{n + 2:02d}",
                VIOLENCE_CODES[n % len(VIOLENCE_CODES)],
                None if postcode_only else LSOA_A,
                postcode_lsoa=LSOA_A if postcode_only else None,
            )
        )
    january += [_occurrence(f"B{n}", "2026-01-10", VIOLENCE_CODES[n], LSOA_B) for n in range(3)]
    january += [_occurrence(f"B-other{n}", "2026-01-11", NON_VIOLENT_CODE, LSOA_B) for n in range(2)]
    january += [_occurrence(f"X{n}", "2026-01-12", "105A", None) for n in range(3)]
    february = [
        _occurrence("A00", "2026-01-02", "8P", None, postcode_lsoa=LSOA_A),  # corrected code, same record
        _occurrence("C-feb", "2026-02-20", "105B", LSOA_C),
    ]
    lake.bronze("police_occurrences", [(pol_jan, january), (pol_feb, february)])
    loaded("police_occurrences", "police", pol_jan, len(january))
    loaded("police_occurrences", "police", pol_feb, len(february))
    # The same January file dropped again: recorded as a duplicate, nothing loaded.
    ledger.append(
        _ledger_row(
            {**pol_jan, "ingested_at": "2026-02-02T06:00:00"}, "police_occurrences", "police", "duplicate", 0
        )
    )

    # Police nominals: 8 victims of January violence, 1 suspect, 1 victim of the February occurrence.
    nom = _delivery("d-nom-2026-01", "police_nominals_2026-01.csv", "2026-01", "2026-02-01T06:05:00")
    nominals = [_nominal(f"A{n:02d}", f"person-{n}", "victim") for n in range(8)]
    nominals.append(_nominal("A08", "person-8", "suspect"))
    nominals.append(_nominal("C-feb", "person-9", "victim"))
    nominals.append(
        _nominal("A01", "person-20", "suspect")
    )  # a second person in one occurrence, never linked
    lake.bronze("police_nominals", [(nom, nominals)])
    loaded("police_nominals", "police", nom, len(nominals))

    # ED ISTV assaults.
    istv = _delivery("d-istv-2026-01", "ed_assaults_2026-01.csv", "2026-01", "2026-02-02T07:00:00")
    istv_rows = [
        _istv(f"I-A{n}", "2026-01-15", LSOA_A, "sharp_object" if n < 2 else "body_part") for n in range(8)
    ]
    istv_rows += [_istv("I-B0", "2026-01-16", LSOA_B), _istv("I-X0", "2026-01-17", None)]
    lake.bronze("ed_assaults", [(istv, istv_rows)])
    loaded("ed_assaults", "health", istv, len(istv_rows))

    # ED attendances: 20 assaults in January, plus 2 self-harm attendances that never count.
    ed = _delivery("d-ed-2026-01", "ed_attendances_2026-01.csv", "2026-01", "2026-02-02T07:05:00")
    ed_rows = [_ed_attendance(f"att-{n}", "2026-01-05", "assault", injury="2026-01-05") for n in range(20)]
    ed_rows += [_ed_attendance(f"att-sh-{n}", "2026-01-06", "self_harm") for n in range(2)]
    lake.bronze("ed_attendances", [(ed, ed_rows)])
    loaded("ed_attendances", "health", ed, len(ed_rows))

    # Probation: January (delivered twice: the second file replaced the first) and February snapshots.
    prb_jan_first = _delivery(
        "d-prb-2026-01-a", "probation_caseload_2026-01.jsonl", "2026-01", "2026-02-03T08:00:00"
    )
    prb_jan = _delivery(
        "d-prb-2026-01-b", "probation_caseload_2026-01_v2.jsonl", "2026-01", "2026-02-04T08:00:00"
    )
    prb_feb = _delivery("d-prb-2026-02", "probation_caseload_2026-02.jsonl", "2026-02", "2026-03-03T08:00:00")
    lake.bronze(
        "probation_caseload",
        [
            (prb_jan, [_caseload(c) for c in ("X000001", "X000002", "X000003")]),
            (prb_feb, [_caseload(c) for c in ("X000001", "X000004")]),
        ],
    )
    loaded("probation_caseload", "probation", prb_jan_first, 3)
    loaded("probation_caseload", "probation", prb_jan, 3)
    loaded("probation_caseload", "probation", prb_feb, 2)

    # A file nobody could recognise: quarantined, no feed.
    ledger.append(
        _ledger_row(
            _delivery("d-unknown", "mystery.csv", "", "2026-02-05T09:00:00"),
            None,
            "education",
            "quarantined",
            0,
        )
    )

    for feed in sorted(set(feeds(repo_root)) - written):
        lake.bronze(feed)  # created empty, as ingestion does before the first delivery

    lake.write("ops/deliveries", ledger, REFERENCE_SCHEMAS["ops/deliveries"])
    lake.write("ops/quality", _quality_rows(pol_jan), REFERENCE_SCHEMAS["ops/quality"])

    if with_linkage:
        lake.write("linkage/person_index", _person_index(), REFERENCE_SCHEMAS["linkage/person_index"])


def _person_index() -> list[dict[str, Any]]:
    """Linkage output: ED attendances 0-7 are police victims 0-7; 8 is the suspect; 9 is the victim 46 days later;
    10-18 are people unknown to the police; 19 was not linked yet."""
    rows = []

    def link(feed: str, record_key: str, person: str) -> None:
        rows.append(
            {
                "source_feed": feed,
                "_record_key": record_key,
                "person_key": token("person", person),
                "match_probability": 0.99,
                "cluster_size": 2,
                "model_version": "test-model-1",
            }
        )

    for n in range(8):
        link("police_nominals", token("nom", f"A{n:02d}", f"person-{n}", "victim"), f"person-{n}")
    link("police_nominals", token("nom", "A08", "person-8", "suspect"), "person-8")
    link("police_nominals", token("nom", "C-feb", "person-9", "victim"), "person-9")
    for n in range(19):
        link("ed_attendances", token("att", f"att-{n}"), f"person-{n}")
    return rows


def _ledger_row(delivery: Mapping[str, str], feed: str | None, partner: str, status: str, rows: int) -> dict:
    return {
        "delivery_id": delivery["delivery_id"],
        "feed": feed,
        "partner": partner,
        "period": delivery["period"] or None,
        "source_file": delivery["source_file"],
        "content_sha256": token("sha", delivery["delivery_id"]),
        "status": status,
        "reason": None,
        "rows_read": rows,
        "rows_loaded": rows if status == "loaded" else 0,
        "rows_rejected": 0,
        "values_removed": 0,
        "fields_dropped": "",
        "received_at": _at(delivery["ingested_at"]) - dt.timedelta(minutes=5),
        "ingested_at": _at(delivery["ingested_at"]),
        "run_id": "test-run",
        "contract_version": 1 if feed else None,
        "agreement_version": 1 if feed else None,
    }


def _quality_rows(delivery: Mapping[str, str]) -> list[dict]:
    """What ingestion's quality report records for a delivery: two fields' completeness and the median lag."""
    base = {
        "delivery_id": delivery["delivery_id"],
        "feed": "police_occurrences",
        "partner": "police",
        "period": delivery["period"],
        "recorded_at": _at(delivery["ingested_at"]),
    }
    return [
        {**base, "metric": "completeness", "field": "offence_date", "value": 1.0},
        {**base, "metric": "completeness", "field": "location_lsoa", "value": 0.8},
        {**base, "metric": "median_lag_days", "field": None, "value": 20.0},
    ]
