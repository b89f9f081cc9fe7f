"""The partner-to-commissioner journey on Azure storage (Azurite) with a real `dagster dev` and its daemon.

1. A VRU area is already running: reference data loaded, a first batch of every partner's files ingested, the
   warehouse built, the marts published (`vrlake reference`, `vrlake run`: the headless path, as cron would).
2. `dagster dev` starts over the same lake and Dagster instance.
3. The police send a new month of occurrences with the create-only link from `vrlake partner-sas`.
4. The police drop-zone sensor launches an intake run; declarative automation then refreshes dbt, republishes.
5. The published mart in the marts container shows the new month's police rows and names the new delivery.

Everything is observed from outside, as an operator would: Dagster through its GraphQL API, the lake through
storage.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from storage import LANDING, StorageSettings, Store, open_store
from storage.partner_access import mint_partner_sas, upload_with_sas
from synth.config import SynthConfig
from synth.generate import generate
from tests.azurite import AzuriteInfo
from tests.conftest import TEST_KEY_HEX
from tests.e2e.dagster_dev import (
    VENV_BIN,
    DagsterDev,
    dagster_dev_env,
    prepare_dbt_project,
    run_dagster_dev,
    write_instance_config,
)
from vrlake.paths import repo_root

pytestmark = [pytest.mark.slow, pytest.mark.azurite, pytest.mark.timeout(1500)]

MART = "mart_violence_by_area_month"
NEW_PERIOD = "2026-10"
HELD_BACK = (f"police/police_occurrences_{NEW_PERIOD}.csv", f"police/police_nominals_{NEW_PERIOD}.csv")
DELIVERED = HELD_BACK[0]
# Upper bounds for each wait, not performance targets (2 shared cores): the sensors tick every 30 s, and each
# run imports the code location (under dagster dev, re-parsing dbt) in its worker and in every step process.
SENSOR_RUN_TIMEOUT_S = 180
INTAKE_RUN_TIMEOUT_S = 300
AUTOMATION_TIMEOUT_S = 420


def vrlake_cli(env: dict[str, str], *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [str(VENV_BIN / "vrlake"), *args],
        cwd=repo_root(),
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, (
        f"vrlake {' '.join(args)} failed:\n{completed.stdout[-4000:]}\n{completed.stderr[-4000:]}"
    )
    return completed


@dataclass(frozen=True)
class Area:
    """The running VRU area: Dagster, the lake, and the partner files of the synthetic area."""

    dev: DagsterDev
    store: Store
    landing_files: Path


@pytest.fixture(scope="module")
def area(azurite: AzuriteInfo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Area]:
    """A VRU area on Azurite after its first batch, with `dagster dev` running over it."""
    root = tmp_path_factory.mktemp("e2e-azure")
    synth_out = root / "synth"
    generate(
        SynthConfig(people=3000, seed=11, months=2, end_period=NEW_PERIOD), synth_out, root / "truth.csv"
    )
    dagster_home = root / "dagster-home"
    write_instance_config(dagster_home)
    env = dagster_dev_env(
        dagster_home=dagster_home,
        dbt_project=prepare_dbt_project(root / "dbt_project"),
        overrides={
            "VRLAKE_HOME": str(root / "vrlake-home"),
            "VRLAKE_AZURE_CONNECTION_STRING": azurite.connection_string,
            "VRLAKE_AZURE_CONTAINER_PREFIX": f"e2e{uuid.uuid4().hex[:10]}-",
            "VRLAKE_AZURE_MAX_RETRIES": "1",
            "VRLAKE_PSEUDONYMISATION_KEY": TEST_KEY_HEX,
        },
    )
    store = open_store(StorageSettings.from_env(env))
    store.ensure_zones()

    vrlake_cli(env, "reference", str(synth_out / "reference"), timeout=300)
    for path in sorted((synth_out / "landing").rglob("*.*")):
        landing_path = path.relative_to(synth_out / "landing").as_posix()
        if landing_path not in HELD_BACK:
            store.upload_file(LANDING, landing_path, path)
    vrlake_cli(env, "run", timeout=600)
    assert store.list(LANDING) == [], "the first batch left files in the drop zones"

    with run_dagster_dev(env, root / "dagster-dev.log") as dev:
        yield Area(dev=dev, store=store, landing_files=synth_out / "landing")


def published(store: Store) -> tuple[pl.DataFrame, dict[str, Any]]:
    frame = pl.read_delta(
        store.delta_uri(MART, zone="marts"), storage_options=store.delta_storage_options() or None
    )
    manifest = json.loads(store.read_text("marts", f"{MART}.manifest.json"))
    return frame, manifest


def police_rows_for(frame: pl.DataFrame, period: str) -> pl.DataFrame:
    return frame.filter((pl.col("period") == period) & (pl.col("source_agency") == "police"))


def test_partner_upload_with_its_link_refreshes_the_published_mart(area: Area) -> None:
    dev, store = area.dev, area.store
    before, manifest_before = published(store)
    assert police_rows_for(before, NEW_PERIOD).height == 0, (
        "the new month must not be published before delivery"
    )
    published_before = dev.latest_materialization(["published", MART])

    # The police upload their new month with the link the VRU sent them.
    link = mint_partner_sas(store.settings, "police", 7)
    receipt = upload_with_sas(link.url, "police", area.landing_files / DELIVERED)
    uploaded_at = time.time()

    # The drop-zone sensor launches an intake run for exactly that file.
    def intake_run() -> dict[str, Any] | None:
        runs = dev.runs(job_name="police_intake_job", tags={"vrlake/file": Path(DELIVERED).name})
        return runs[0] if runs else None

    run = dev.wait_for(
        "the police drop-zone sensor to launch a run",
        intake_run,
        timeout=SENSOR_RUN_TIMEOUT_S,
        diagnostics=lambda: json.dumps(dev.sensor_ticks("police_drop_zone_sensor"), indent=1)[:3000],
    )
    finished = dev.wait_for_run(run["runId"], timeout=INTAKE_RUN_TIMEOUT_S)
    assert finished["status"] == "SUCCESS", dev.run_failures(run["runId"])
    assert not store.exists(LANDING, receipt.path), "an ingested file leaves the drop zone (archived)"

    # Declarative automation refreshes dbt and the published marts in a later run, without anyone asking.
    def republished() -> dict[str, Any] | None:
        latest = dev.latest_materialization(["published", MART])
        if latest and latest != published_before and float(latest["timestamp"]) / 1000 > uploaded_at:
            return latest
        return None

    def automation_diagnostics() -> str:
        runs = [r for r in dev.runs() if r["creationTime"] > uploaded_at]
        failures = {r["runId"]: dev.run_failures(r["runId"]) for r in runs if r["status"] == "FAILURE"}
        ticks = dev.sensor_ticks("marts_refresh_automation")
        return (
            f"runs since upload: {json.dumps(runs)[:2000]}\nfailures: {failures}\n"
            f"automation: {json.dumps(ticks)[:2000]}"
        )

    latest = dev.wait_for(
        f"automation to republish {MART}",
        republished,
        timeout=AUTOMATION_TIMEOUT_S,
        diagnostics=automation_diagnostics,
    )
    automation_run = dev.wait_for_run(latest["runId"], timeout=AUTOMATION_TIMEOUT_S)
    assert automation_run["status"] == "SUCCESS", dev.run_failures(latest["runId"])
    assert {"key": "dagster/sensor_name", "value": "marts_refresh_automation"} in automation_run["tags"], (
        "the marts were refreshed by declarative automation, not by the intake run or a person"
    )

    after, manifest_after = published(store)
    new_rows = police_rows_for(after, NEW_PERIOD)
    assert new_rows.height > 0, "the published mart shows the new month's police rows"
    assert after.height > before.height
    files_before = {d["source_file"] for d in manifest_before["fed_by_deliveries"]}
    files_after = {d["source_file"] for d in manifest_after["fed_by_deliveries"]}
    assert files_after - files_before == {Path(DELIVERED).name}
    csv = pl.read_csv(store.read_bytes("marts", f"{MART}.csv"), infer_schema=False)
    assert (
        csv.filter((pl.col("period") == NEW_PERIOD) & (pl.col("source_agency") == "police")).height
        == new_rows.height
    )
