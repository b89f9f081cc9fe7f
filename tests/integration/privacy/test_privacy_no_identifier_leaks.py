"""Privacy is the product: after a whole pipeline run on synthetic partner data, no raw identifier of any synthetic
person appears in any file outside the identifiable zones (landing, archive), including the DuckDB warehouse,
published marts, reports, Dagster's own storage and logs; and the pseudonymisation key appears nowhere."""

from __future__ import annotations

import base64
import logging
import os
import re
import subprocess
from collections import defaultdict
from pathlib import Path

import polars as pl
import pytest

from ingestors.context import build_ingest_context
from ingestors.contract import ColumnClass, load_contracts
from ingestors.detect import feed_from_name, map_headers
from ingestors.ingest import ingest_file
from ingestors.lake_init import initialise_lake
from ingestors.readers import read_delivery
from ingestors.reference import load_reference
from privacy.keys import load_master_key
from privacy.leak_scan import Needles, needles_from_values, scan_paths
from storage import StorageSettings, open_store
from synth.config import SynthConfig
from synth.generate import generate
from tests.conftest import TEST_KEY_HEX
from vrlake.paths import repo_root
from vrlake.refresh import refresh_all

SCANNED_KINDS = ("name", "nhs_number", "upn", "pnc_id", "crn", "date_of_birth", "postcode")
IDENTIFIABLE_ZONES = ("landing", "archive")
DATA_WINDOW_START_YEAR = 2025
CALENDAR_TABLE = "warehouse table conformed.dim_date"  # SynthConfig(months=12, end_period="2026-10"): events fall in 2025-2026


def identifier_values(landing: Path) -> dict[str, list[str]]:
    """Every raw identifier value in the partner files, by kind, read the way ingestion reads them."""
    contracts = load_contracts()
    values: dict[str, list[str]] = defaultdict(list)
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        match = feed_from_name(path.name, contracts)
        assert match is not None, path.name
        raw = read_delivery(path, path.name, [match.contract])
        mapping, _ = map_headers(raw.headers, match.contract)
        for header, column_name in mapping.items():
            column = match.contract.column(column_name)
            if column.column_class is not ColumnClass.CONTENT and column.identifier in SCANNED_KINDS:
                values[column.identifier].extend(v for v in raw.frame.get_column(header).to_list() if v)
    # Dates of birth inside the data window also occur as event dates (a baby's birthday can be an offence
    # date), so only earlier ones are evidence of a leak.
    values["date_of_birth"] = [d for d in values["date_of_birth"] if _year(d) < DATA_WINDOW_START_YEAR]
    return values


def _year(date_text: str) -> int:
    found = re.search(r"\d{4}", date_text)
    return int(found.group(0)) if found else 0


def words_vrlake_itself_writes() -> set[str]:
    """Words in vrlake's own code, templates and docs (a name that is also such a word proves nothing)."""
    tracked = subprocess.run(["git", "ls-files"], cwd=repo_root(), capture_output=True, text=True, check=True)
    words: set[str] = set()
    for name in tracked.stdout.splitlines():
        if name.startswith(("synth/", "tests/")) or not name.endswith((".py", ".sql", ".yml", ".yaml", ".md", ".html", ".j2", ".csv")):
            continue
        words.update(re.findall(r"[A-Za-zÀ-ÿ']{4,}", (repo_root() / name).read_text("utf-8", errors="ignore")))
    return words | {w.upper() for w in words} | {w.capitalize() for w in words}


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory: pytest.TempPathFactory):
    """A whole pipeline run on synthetic data, with its logs captured."""
    root = tmp_path_factory.mktemp("leaks")
    environment = {
        "VRLAKE_HOME": str(root / "home"),
        "DAGSTER_HOME": str(root / "home" / "dagster"),
        "VRLAKE_PSEUDONYMISATION_KEY": TEST_KEY_HEX,
    }
    saved = {k: os.environ.get(k) for k in (*environment, "VRLAKE_DEMO_MODE", "VRLAKE_AZURE_CONNECTION_STRING")}
    os.environ.update(environment)
    os.environ.pop("VRLAKE_DEMO_MODE", None)
    os.environ.pop("VRLAKE_AZURE_CONNECTION_STRING", None)
    log_file = root / "captured.log"
    handler = logging.FileHandler(log_file)
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.DEBUG)
    try:
        synthetic = root / "synthetic"
        generate(SynthConfig(people=1500, seed=11), synthetic, root / "truth.csv")
        store = open_store(StorageSettings.from_env())
        initialise_lake(store)
        load_reference(store, synthetic / "reference", load_master_key(os.environ))
        for path in sorted((synthetic / "landing").rglob("*.*")):
            store.upload_file("landing", path.relative_to(synthetic / "landing").as_posix(), path)
        result = refresh_all(user="leak-test")
        assert result.success, result.failures
        # A bad delivery too: a nominals file without its header row, so its first line is a person.
        nominals = next((synthetic / "landing" / "police").glob("police_nominals_*.csv"))
        store.write_text("landing", "police/nominals_no_header.csv", nominals.read_text("utf-8").split("\n", 1)[1])
        outcome = ingest_file(build_ingest_context(store, os.environ, run_id="leak-test"), "police/nominals_no_header.csv")
        assert outcome.status.value == "quarantined"
        yield {"root": root, "home": root / "home", "synthetic": synthetic, "log_file": log_file}
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def scanned_places(home: Path) -> list[Path]:
    """Everything outside the identifiable zones: lake, warehouse, marts, reports, quarantine, Dagster storage,
    plus dbt's logs and artefacts."""
    places = [p for p in home.iterdir() if p.name not in IDENTIFIABLE_ZONES]
    dbt = repo_root() / "dbt_project"
    # dbt's binary parse caches (graph.gpickle, partial_parse.msgpack) hold the project's node graph, never data,
    # and read as text their bytes form random words; its logs, run results and compiled SQL are text and scanned.
    artefacts = [p for p in (dbt / "target").rglob("*") if p.is_file() and p.suffix not in (".gpickle", ".msgpack")]
    return places + [dbt / "logs", *artefacts]


@pytest.fixture(scope="module")
def needles(pipeline_run) -> Needles:
    found = needles_from_values(identifier_values(pipeline_run["synthetic"] / "landing"), ignore_words=words_vrlake_itself_writes())
    assert found.count() > 1000 and set(found.values) == set(SCANNED_KINDS), "the scan must look for every kind"
    return found


def test_no_raw_identifier_outside_the_identifiable_zones(pipeline_run, needles: Needles) -> None:
    home = pipeline_run["home"]
    assert any((home / "lake").rglob("*.parquet")) and (home / "warehouse" / "vrlake.duckdb").exists()
    assert any((home / "dagster").rglob("*")), "Dagster's own storage is scanned too"
    assert any((home / "quarantine").rglob("*.reason.json")), "a quarantined delivery is scanned too"
    findings = [
        finding
        for finding in scan_paths(scanned_places(home), needles, root=home)
        # A calendar dimension holds every day by construction, so a date in it says nothing about a person.
        if not (finding.kind == "date_of_birth" and finding.where == CALENDAR_TABLE)
    ]
    assert findings == [], "\n".join(str(f) for f in findings[:20])


def test_the_scan_catches_a_planted_identifier(pipeline_run, needles: Needles, tmp_path: Path) -> None:
    nhs_number = sorted(needles.values["nhs_number"])[0]
    surname = sorted(needles.values["name"])[0]
    planted_text = tmp_path / "report.md"
    planted_text.write_text(f"An analyst pasted {nhs_number[:3]} {nhs_number[3:6]} {nhs_number[6:]} here.\n")
    planted_parquet = tmp_path / "part-0.parquet"
    pl.DataFrame({"note": ["x", surname]}).write_parquet(planted_parquet, compression="zstd")
    findings = scan_paths([planted_text, planted_parquet], needles, root=tmp_path)
    assert {(f.path, f.kind) for f in findings} >= {("report.md", "nhs_number"), ("part-0.parquet", "name")}


def test_the_key_is_in_no_log_and_no_dagster_storage(pipeline_run) -> None:
    key = bytes.fromhex(TEST_KEY_HEX)
    forms = {TEST_KEY_HEX, TEST_KEY_HEX.upper(), base64.b64encode(key).decode(), base64.urlsafe_b64encode(key).decode()}
    forms.add(key.decode("latin-1"))
    places = [pipeline_run["log_file"], pipeline_run["home"] / "dagster", *scanned_places(pipeline_run["home"])]
    for path in (p for place in places for p in ([place] if place.is_file() else place.rglob("*")) if p.is_file()):
        content = path.read_bytes().decode("latin-1")
        for form in forms:
            assert form not in content, f"the pseudonymisation key appears in {path}"
    assert pipeline_run["log_file"].stat().st_size > 0, "logs were captured"
