"""The person index asset, its check and the retraining job, in Dagster, on both storage backends.

A synthetic area is delivered in two parts. The first run trains and saves a model and builds the index; the
second links only the new records, and every record indexed before keeps its person key. The retraining job then
relinks everything with a new model version (estimated on all the records, so linkage improves), and every key
change is in linkage/key_events.
"""

from __future__ import annotations

import os

import dagster as dg
import polars as pl
import pytest

from linkage.index import KEY_EVENTS_TABLE, PERSON_INDEX_TABLE, read_index, read_key_events
from linkage.train import list_models
from orchestration.defs.linkage.assets import PERSON_FEEDS, TRUTH_ENV, U_PAIRS_ENV, linkage_assets
from orchestration.defs.linkage.checks import linkage_checks
from orchestration.defs.linkage.jobs import RETRAIN_JOB, linkage_jobs
from orchestration.defs.resources import VrlakeResource
from storage import Store
from tests.integration.linkage.conftest import Area, ingest


def definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=linkage_assets, asset_checks=linkage_checks, jobs=linkage_jobs, resources={"vrlake": VrlakeResource()}
    )


def materialise() -> tuple[dict[str, dg.MetadataValue], list[dg.AssetCheckEvaluation]]:
    result = dg.materialize([*linkage_assets, *linkage_checks], resources={"vrlake": VrlakeResource()})
    assert result.success
    [event] = result.get_asset_materialization_events()
    return event.materialization.metadata, result.get_asset_check_evaluations()


def keys(store: Store) -> dict[tuple[str, str], str]:
    index = read_index(store)
    return {(f, r): k for f, r, k in index.select("source_feed", "record_key", "person_key").iter_rows()}


# One backend is enough here: the Azure variant of the next test trains, saves and indexes through Azurite.
@pytest.mark.parametrize("vrlake_env", ["local"], indirect=True)
def test_keys_are_stable_after_a_second_delivery_and_retraining_records_every_change(
    vrlake_env: Store, area: Area, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TRUTH_ENV, str(area.truth))
    monkeypatch.setenv(U_PAIRS_ENV, "200000")
    first_half = area.files(lambda name: name.endswith(("2026-07.csv", "2026-08.csv", ".jsonl", ".xlsx")))
    ingest(vrlake_env, area, first_half, dict(os.environ))

    metadata, checks = materialise()
    assert metadata["mode"].value == "initial" and metadata["model_trained_in_this_run"].value is True
    assert metadata["quality_precision"].value >= 0.995 and metadata["quality_f1"].value >= 0.98
    assert [c.passed for c in checks] == [True]
    [version] = list_models(vrlake_env)
    before = keys(vrlake_env)

    ingest(vrlake_env, area, [p for p in area.files() if p not in first_half], dict(os.environ))
    metadata, checks = materialise()
    assert metadata["mode"].value == "incremental" and metadata["model_version"].value == version
    assert metadata["new_records"].value > 100 and metadata["model_trained_in_this_run"].value is False
    after = keys(vrlake_env)
    assert {record: after[record] for record in before} == before  # nobody indexed before changed key
    assert len(set(after.values()) - set(before.values())) < metadata["new_records"].value  # new records joined people
    # The model was estimated on the small first delivery only: good, not yet at target.
    assert metadata["quality_f1"].value >= 0.95 and metadata["quality_precision"].value >= 0.995
    assert [c.passed for c in checks] == [True]
    events = read_key_events(vrlake_env)
    assert set(events.get_column("event")) == {"created"}

    result = definitions().resolve_job_def(RETRAIN_JOB).execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert result.success
    [event] = result.get_asset_materialization_events()
    relinked_metadata = event.materialization.metadata
    assert relinked_metadata["mode"].value == "full_relink"
    assert relinked_metadata["quality_f1"].value >= 0.99 and relinked_metadata["quality_precision"].value >= 0.995
    assert len(list_models(vrlake_env)) == 2 and event.materialization.metadata["model_version"].value != version
    relinked = keys(vrlake_env)
    changed = sum(1 for record, key in relinked.items() if after[record] != key)
    moves = read_key_events(vrlake_env).filter(pl.col("event").is_in(["merged", "split", "moved"]))
    assert changed == moves.get_column("records").sum()  # no silent renumbering


def test_the_check_fails_when_one_person_holds_two_nhs_numbers(
    vrlake_env: Store, area: Area, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deltalake import write_deltalake

    monkeypatch.setenv(U_PAIRS_ENV, "200000")
    ed_files = area.files(lambda name: name.startswith("ed_attendances"))[:1]
    ingest(vrlake_env, area, ed_files, dict(os.environ))
    materialise()
    assert len(list_models(vrlake_env)) == 1  # the model artefact is in the lake zone, on either backend
    index = read_index(vrlake_env)
    # Force two people (two NHS numbers) under one key, as a broken linkage would.
    merged = index.with_columns(pl.lit("Pbroken").alias("person_key")).rename({"record_key": "_record_key"})
    write_deltalake(vrlake_env.delta_uri(PERSON_INDEX_TABLE), merged.to_arrow(), mode="overwrite",
                    storage_options=vrlake_env.delta_storage_options() or None)
    result = dg.materialize(linkage_checks, resources={"vrlake": VrlakeResource()}, raise_on_error=False,
                            selection=dg.AssetSelection.checks(*linkage_checks))
    [evaluation] = result.get_asset_check_evaluations()
    assert not evaluation.passed
    assert evaluation.metadata["clusters_with_conflicting_identifiers"].value["nhs_number_token"] == 1
    assert evaluation.metadata["example_person_keys"].value == "Pbroken"


def test_person_feeds_match_the_linkage_package() -> None:
    from linkage.records import PERSON_FEEDS as LINKAGE_FEEDS

    assert PERSON_FEEDS == LINKAGE_FEEDS
    assert KEY_EVENTS_TABLE == "linkage/key_events"
