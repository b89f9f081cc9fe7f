"""Dagster materialisations on a temporary home, on both storage backends.

- a file dropped in a drop zone makes the sensor request a run; executing that run request ingests it; the same
  content dropped again (under another name) is requested again but recorded as a duplicate, not loaded twice;
- the whole asset graph (ingest -> dbt -> publish) materialises on a synthetic area;
- the asset graph keeps its shape (a renamed asset is a breaking change for schedules and users' bookmarks).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from ingestors.lake import bronze_table, read_table
from orchestration.definitions import defs
from orchestration.defs.resources import VrlakeResource
from storage import Store
from synth.config import SynthConfig
from synth.generate import generate
from tests.ingestion_helpers import nominals_csv
from vrlake.refresh import refresh_all


def run_sensor_requests(store: Store, partner: str, cursor: str | None) -> tuple[list[dg.RunResult], str | None]:
    definitions = defs()
    sensor = definitions.get_sensor_def(f"{partner}_drop_zone_sensor")
    tick = sensor.evaluate_tick(dg.build_sensor_context(cursor=cursor, resources={"vrlake": VrlakeResource()}))
    job = definitions.resolve_job_def(f"{partner}_intake_job")
    results = [
        job.execute_in_process(run_config=request.run_config, instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
        for request in tick.run_requests or []
    ]
    return results, tick.cursor


def test_dropped_file_is_ingested_by_the_sensors_run_and_a_resend_is_not_loaded_twice(vrlake_env: Store) -> None:
    vrlake_env.write_text("landing", "police/police_nominals_2026-10.csv", nominals_csv(3))
    results, cursor = run_sensor_requests(vrlake_env, "police", None)
    assert len(results) == 1 and results[0].success
    materialized = {e.asset_key: e.materialization.metadata for e in results[0].get_asset_materialization_events()}
    assert materialized[dg.AssetKey(["bronze", "police_occurrences"])]["new_deliveries"].value == 0
    metadata = materialized[dg.AssetKey(["bronze", "police_nominals"])]
    assert metadata["rows_loaded"].value == 3 and metadata["rows_rejected"].value == 0
    assert read_table(vrlake_env, bronze_table("police_nominals")).height == 3
    assert vrlake_env.list("landing") == [] and len(vrlake_env.list("archive")) == 1

    vrlake_env.write_text("landing", "police/police_nominals_2026-10_resent.csv", nominals_csv(3))
    results, _ = run_sensor_requests(vrlake_env, "police", cursor)
    assert len(results) == 1 and results[0].success
    resent = {e.asset_key: e.materialization.metadata for e in results[0].get_asset_materialization_events()}
    resent_metadata = resent[dg.AssetKey(["bronze", "police_nominals"])]
    assert resent_metadata["new_deliveries"].value == 0 and resent_metadata["duplicates_ignored"].value == 1
    assert read_table(vrlake_env, bronze_table("police_nominals")).height == 3
    ledger = read_table(vrlake_env, "ops/deliveries")
    assert sorted(ledger.get_column("status").to_list()) == ["duplicate", "loaded"]


def test_quarantined_file_fails_the_run_with_the_plain_english_reason(vrlake_env: Store) -> None:
    vrlake_env.write_text("landing", "police/police_nominals_2026-10.csv", "OccurrenceRef,Sex\nx,M\n")
    results, _ = run_sensor_requests(vrlake_env, "police", None)
    assert not results[0].success
    failure = next(e for e in results[0].all_events if e.is_step_failure)
    assert "quarantined" in failure.step_failure_data.error.message
    assert "required field(s)" in failure.step_failure_data.error.message


@pytest.fixture(scope="module")
def synthetic_area(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    generate(SynthConfig(people=600, seed=7, months=6), out, out.parent / "truth.csv")
    return out


def test_whole_asset_graph_materialises_on_a_synthetic_area(vrlake_env: Store, synthetic_area: Path) -> None:
    from ingestors.reference import load_reference
    from privacy.keys import load_master_key

    load_reference(vrlake_env, synthetic_area / "reference", load_master_key(os.environ))
    for path in sorted((synthetic_area / "landing").rglob("*.*")):
        vrlake_env.upload_file("landing", path.relative_to(synthetic_area / "landing").as_posix(), path)

    result = refresh_all(user="test")

    assert result.success, result.failures
    ledger = read_table(vrlake_env, "ops/deliveries")
    assert set(ledger.get_column("status")) == {"loaded"}
    assert (ledger["rows_read"] == ledger["rows_loaded"] + ledger["rows_rejected"]).all()
    assert vrlake_env.list("landing") == []
    mart = pl.read_csv(vrlake_env.read_bytes("marts", "mart_violence_by_area_month.csv"))
    assert mart.height > 0
    manifest = json.loads(vrlake_env.read_text("marts", "mart_violence_by_area_month.manifest.json"))
    assert len(manifest["fed_by_deliveries"]) == ledger.height
    published = pl.read_delta(
        vrlake_env.delta_uri("mart_violence_by_area_month", zone="marts"),
        storage_options=vrlake_env.delta_storage_options() or None,
    )
    assert published.height == mart.height


ASSET_GRAPH_SNAPSHOT = Path(__file__).with_name("asset_graph_keys.json")


def test_asset_graph_keys_and_groups_match_the_snapshot() -> None:
    """Renaming an asset breaks users' schedules and links: update the snapshot only on purpose."""
    graph = defs().resolve_asset_graph()
    current = {
        key.to_user_string(): graph.get(key).group_name
        for key in graph.get_all_asset_keys()
        if not graph.get(key).is_external
    }
    expected = json.loads(ASSET_GRAPH_SNAPSHOT.read_text("utf-8"))
    assert current == expected


def test_every_partner_feeds_staging_then_conformed_then_a_mart() -> None:
    graph = defs().resolve_asset_graph()
    for partner in ("police", "probation", "education", "health"):
        bronze = [k for k in graph.get_all_asset_keys() if k.path[0] == "bronze" and graph.get(k).group_name == f"partner_{partner}"]
        assert bronze, partner
        downstream = set()
        frontier = set(bronze)
        while frontier:
            downstream |= frontier
            frontier = {c for k in frontier for c in graph.get(k).child_keys} - downstream
        layers = {k.path[0] for k in downstream}
        assert {"staging", "conformed", "marts"} <= layers or {"staging", "intermediate"} <= layers, (partner, layers)
