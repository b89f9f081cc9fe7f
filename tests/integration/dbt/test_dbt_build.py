"""The dbt project, built for real: the dbt CLI against Delta tables in a temporary lake and a temporary DuckDB file.

What a user of the published marts would notice is asserted on the built warehouse: counts rounded to 5, small
counts suppressed with '*', rates withheld, totals rounded from raw counts, police and ED side by side, the
ED-police gap. The guard rails are proven to bite: the unsafe-cell test fails on an unsafe cell, and the manifest
holds no storage secret. See ``lake_scenario.py`` for the hand-countable input.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

import duckdb
import polars as pl
import pytest

from publishing.disclosure_scan import DisclosureRule, scan_frame
from tests.azurite import AzuriteInfo
from tests.integration.dbt.conftest import SECRET_SENTINELS
from tests.integration.dbt.dbt_runner import (
    DBT_TIMEOUT_S,
    WITHOUT_TESTS,
    DbtHome,
    build,
    output_tail,
    query,
    run_dbt,
)
from tests.integration.dbt.lake_scenario import LA, LSOA_A, LSOA_B, LSOA_C, WARD_CENTRAL, write_scenario


def violence_cell(warehouse: Path, level: str, area: str, period: str, agency: str) -> tuple[Any, ...]:
    rows = query(
        warehouse,
        """
        select violence_count, violence_count_display, violence_rate_per_1000
        from marts.mart_violence_by_area_month
        where geography_level = ? and area_code = ? and period = ? and source_agency = ?
        """,
        [level, area, period, agency],
    )
    assert len(rows) == 1, f"expected one {level} {area} {period} {agency} row, got {rows}"
    return rows[0]


# --- published counts -------------------------------------------------------------------------------------------


def test_count_of_12_is_published_as_10(built: DbtHome) -> None:
    # 12 police violence occurrences in LSOA A in January. A corrected re-delivery of one of them must not count
    # twice (13 would publish as 15), and its rate comes from the published 10: 10 / 1,500 residents.
    assert violence_cell(built.warehouse, "lsoa", LSOA_A, "2026-01", "police") == (10, "10", 6.7)


def test_count_of_3_is_suppressed_and_its_rate_withheld(built: DbtHome) -> None:
    # 3 violence occurrences in LSOA B; its 2 criminal-damage occurrences (code 28E) are not violence.
    assert violence_cell(built.warehouse, "lsoa", LSOA_B, "2026-01", "police") == (None, "*", None)


def test_zero_stays_zero(built: DbtHome) -> None:
    assert violence_cell(built.warehouse, "lsoa", LSOA_C, "2026-01", "police") == (0, "0", 0.0)


def test_totals_are_rounded_from_raw_counts(built: DbtHome) -> None:
    # Ward: 12 + 3 = 15 (adding the published cells would give 10 + suppressed). Whole area: 15 + 3 events with no
    # location = 18, published as 20; the local authority excludes those 3.
    assert violence_cell(built.warehouse, "ward", WARD_CENTRAL, "2026-01", "police") == (15, "15", 5.6)
    assert violence_cell(built.warehouse, "local_authority", LA, "2026-01", "police") == (15, "15", 4.1)
    assert violence_cell(built.warehouse, "vru", "VRU", "2026-01", "police") == (20, "20", 5.4)


def test_ed_assaults_are_published_beside_police(built: DbtHome) -> None:
    assert violence_cell(built.warehouse, "lsoa", LSOA_A, "2026-01", "ed_istv") == (10, "10", 6.7)
    assert violence_cell(built.warehouse, "lsoa", LSOA_B, "2026-01", "ed_istv") == (None, "*", None)
    # February has a police event only: the ED series ends in January rather than reporting false zeros.
    assert query(
        built.warehouse,
        "select distinct source_agency, period from marts.mart_violence_by_area_month order by 1, 2",
    ) == [("ed_istv", "2026-01"), ("police", "2026-01"), ("police", "2026-02")]


def test_every_published_count_is_safe(built: DbtHome, project_dir: Path) -> None:
    """Checked independently of dbt's own tests, by the scanner that guards the marts zone, on every mart table:
    each count is 0, suppressed (NULL shown as '*'), or a multiple of 5 from 10 up."""
    rule = DisclosureRule.from_dbt_project(project_dir)
    with duckdb.connect(str(built.warehouse), read_only=True) as con:
        marts = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        frames = {
            name: pl.from_arrow(con.sql(f'select * from marts."{name}"').fetch_arrow_table())
            for name in marts
        }

    assert len(frames) == 11
    total = 0
    for name, frame in frames.items():
        checked, unsafe = scan_frame(frame, name, rule)  # type: ignore[arg-type]
        total += checked
        assert unsafe == [], unsafe[:5]
    assert total > 1000


# --- conformed models -------------------------------------------------------------------------------------------


def test_violence_events_come_from_both_agencies(built: DbtHome) -> None:
    # Events: police 12 + 3 + 3 in January (the 2 criminal-damage codes excluded) + 1 in February; ISTV 10; ECDS 20
    # assault attendances (the 2 self-harm attendances excluded). Rows: one per person per event, so police has one
    # more row than events (A01 has a victim and a suspect); ECDS rows have no event location.
    assert query(
        built.warehouse,
        """
        select source_agency, count(*) filter (where is_event_row), count(*),
               count(*) filter (where is_event_row and not is_area_known)
        from conformed.fct_violence_event group by 1 order by 1
        """,
    ) == [("ed_ecds", 20, 20, 20), ("ed_istv", 10, 10, 1), ("police", 19, 20, 3)]


def test_violence_event_rows_carry_the_people_and_their_roles(built: DbtHome) -> None:
    # Police: 9 victims (A00..A07, C-feb), 2 suspects (A08 linked, A01 never linked), and 9 occurrences with no
    # victim, suspect or offender recorded (one row each, no person). ED: 20 attendees, 19 of them linked.
    assert query(
        built.warehouse,
        """
        select source_agency, coalesce(role, '(no person)'), count(*), count(person_key)
        from conformed.fct_violence_event group by 1, 2 order by 1, 2
        """,
    ) == [
        ("ed_ecds", "ed_assault_attendee", 20, 19),
        ("ed_istv", "(no person)", 10, 0),
        ("police", "(no person)", 9, 0),
        ("police", "suspect", 2, 1),
        ("police", "victim", 9, 9),
    ]


def test_ed_police_gap_mart(built: DbtHome) -> None:
    # 20 ED assault attendances: 8 linked to police victims within 30 days (published 10), 11 not (10), 1 not
    # linked yet (suppressed). The percentage uses the published counts: 10 / (10 + 10).
    assert query(
        built.warehouse,
        """
        select period, ed_assault_attendances, known_to_police, not_known_to_police, awaiting_linkage_display,
               pct_not_known_to_police, linkage_model_version
        from marts.mart_ed_assaults_known_to_police_by_month
        """,
    ) == [("2026-01", 20, 10, 10, "*", 50.0, "test-model-1")]


def test_delivery_lineage_reconciles_the_ledger_with_bronze(built: DbtHome) -> None:
    statuses = dict(
        query(
            built.warehouse,
            "select reconciliation_status, count(*) from conformed.fct_delivery_lineage group by 1",
        )
    )
    # 7 loaded deliveries whose rows are all in bronze; the first January probation file replaced by the second;
    # one duplicate and one quarantined file.
    assert statuses == {"reconciled": 7, "superseded": 1, "not_loaded": 2}


def test_current_probation_caseload_is_the_latest_snapshot(built: DbtHome) -> None:
    assert query(
        built.warehouse,
        "select snapshot_period, count(*) from intermediate.int_probation_caseload__filtered_to_latest_period group by 1",
    ) == [("2026-02", 2)]


def test_view_timestamps_do_not_depend_on_the_readers_time_zone(built: DbtHome) -> None:
    # Staging models are views, evaluated in the reader's session: a reader in another zone must still see UTC.
    with duckdb.connect(str(built.warehouse), read_only=True) as con:
        con.execute("set TimeZone = 'America/New_York'")
        rows = con.execute(
            "select distinct ingested_at from staging.stg_police__occurrences where delivery_id = 'd-pol-2026-01'"
        ).fetchall()
    assert rows == [(dt.datetime(2026, 2, 1, 6, 0),)]


# --- guard rails ----------------------------------------------------------------------------------------------


TAMPERING: Final = (
    # a raw count published unrounded
    ("violence_count = 12, violence_count_display = '12'", LSOA_A),
    # a suppressed cell whose display text leaks the raw count, and whose rate is shown
    ("violence_count_display = '3', violence_rate_per_1000 = 2.5", LSOA_B),
    # a small count rounded instead of suppressed
    ("violence_count = 5, violence_count_display = '5'", LSOA_C),
)


def test_unsafe_cells_fail_the_safe_published_count_test(
    built: DbtHome, project_dir: Path, tmp_path: Path
) -> None:
    """Tamper with a copy of the built mart, then run only the disclosure tests: each unsafe cell is a failure."""
    tampered = DbtHome(root=tmp_path, lake_uri=built.lake_uri, storage_options={})
    tampered.warehouse.parent.mkdir(parents=True)
    shutil.copy(built.warehouse, tampered.warehouse)
    with duckdb.connect(str(tampered.warehouse)) as con:
        for assignments, area in TAMPERING:
            con.execute(
                "update marts.mart_violence_by_area_month set "
                + assignments
                + " where geography_level = 'lsoa'"
                " and period = '2026-01' and source_agency = 'police' and area_code = ?",
                [area],
            )

    result = run_dbt(
        project_dir,
        [
            "test",
            "--select",
            "mart_violence_by_area_month,test_name:safe_published_count",
            "mart_violence_by_area_month,test_name:withheld_when_suppressed",
        ],
        tampered.env(),
        tampered.target,
    )

    assert result.returncode == 1, output_tail(result)
    nodes = json.loads((tampered.target / "manifest.json").read_text())["nodes"]
    failures = {
        nodes[r["unique_id"]]["test_metadata"]["name"]: r["failures"]
        for r in json.loads((tampered.target / "run_results.json").read_text())["results"]
        # The project's on-run-start/end hooks are results too.
        if r["unique_id"].startswith("test.")
    }
    assert failures == {"safe_published_count": 3, "withheld_when_suppressed": 1}


def test_manifest_holds_no_storage_secrets(built: DbtHome) -> None:
    for artefact in ("manifest.json", "partial_parse.msgpack", "run_results.json"):
        content = (built.target / artefact).read_bytes()
        for secret in SECRET_SENTINELS.values():
            assert secret.encode() not in content, f"{secret} leaked into {artefact}"


def test_build_works_before_the_first_linkage_run(
    pytestconfig: pytest.Config, project_dir: Path, tmp_path: Path
) -> None:
    """No linkage/person_index table at all: everything builds, the gap mart is empty, area counts are unchanged."""
    home = DbtHome(root=tmp_path, lake_uri=str(tmp_path / "lake"), storage_options={})
    write_scenario(pytestconfig.rootpath, home.lake_uri, with_linkage=False)

    # Models and seeds only: the tests' verdicts on this data are the main build's.
    result = build(project_dir, home, exclude=WITHOUT_TESTS)

    assert result.returncode == 0, output_tail(result)
    assert query(home.warehouse, "select count(*) from marts.mart_ed_assaults_known_to_police_by_month") == [
        (0,)
    ]
    assert violence_cell(home.warehouse, "lsoa", LSOA_A, "2026-01", "police") == (10, "10", 6.7)


def test_parse_needs_no_environment_and_writes_the_manifest_in_the_project(
    project_dir: Path, tmp_path: Path
) -> None:
    """What the build step (and dagster-dbt's prepare) does: `dbt parse` with no VRLAKE_* variable, run from
    elsewhere, writes dbt_project/target/manifest.json in which every bronze source maps to its ingestion asset."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VRLAKE_", "DBT_"))}
    dbt = Path(sys.executable).with_name("dbt")
    result = subprocess.run(
        [str(dbt), "parse", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=DBT_TIMEOUT_S,
        check=False,
    )

    assert result.returncode == 0, output_tail(result)
    assert not (tmp_path / "target").exists()
    manifest = json.loads((project_dir / "target" / "manifest.json").read_text())
    asset_keys = {
        source["name"]: source["meta"]["dagster"]["asset_key"]
        for source in manifest["sources"].values()
        if source["source_name"] in ("police", "probation", "education", "health")
    }
    assert asset_keys == {feed: ["bronze", feed] for feed in asset_keys}
    assert len(asset_keys) == 7


@pytest.mark.azurite
def test_build_reads_delta_from_azure_blob_storage(
    pytestconfig: pytest.Config, project_dir: Path, tmp_path: Path, azurite: AzuriteInfo
) -> None:
    """The same build with the lake in an Azure container (Azurite): storage options reach deltalake through
    the profile, and the blank ones (SAS, bearer token) are dropped rather than breaking the client."""
    from azure.storage.blob import BlobServiceClient

    container = f"dbt-{tmp_path.name.lower().replace('_', '-')[-40:].strip('-')}"
    BlobServiceClient.from_connection_string(azurite.connection_string).create_container(container)
    home = DbtHome(
        root=tmp_path,
        lake_uri=f"az://{container}",
        storage_options={
            "account_name": azurite.account_name,
            "account_key": azurite.account_key,
            "endpoint": azurite.blob_endpoint,
            "allow_http": "true",
        },
    )
    write_scenario(pytestconfig.rootpath, home.lake_uri, storage_options=home.storage_options)

    # Models and seeds only: what differs from the local build is where the sources are read from.
    result = build(
        project_dir,
        home,
        exclude=WITHOUT_TESTS,
        VRLAKE_DELTA_ACCOUNT_NAME=azurite.account_name,
        VRLAKE_DELTA_ACCOUNT_KEY=azurite.account_key,
        VRLAKE_DELTA_ENDPOINT=azurite.blob_endpoint,
    )

    assert result.returncode == 0, output_tail(result)
    assert violence_cell(home.warehouse, "lsoa", LSOA_A, "2026-01", "police") == (10, "10", 6.7)
    assert violence_cell(home.warehouse, "lsoa", LSOA_B, "2026-01", "ed_istv") == (None, "*", None)
