"""Ingestion keeps its guarantees when the lake has a long history and tables stay open across deliveries.

An `IngestContext` opens each lake table once and reads the ledger incrementally; these tests check that the
answers are those of a fresh read: after many deliveries (past several checkpoints), with another writer
committing in between, and when files leave a table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import polars as pl
from deltalake import DeltaTable

from ingestors.contract import load_contracts
from ingestors.ingest import IngestContext
from ingestors.lake import (
    AUDIT_TABLE,
    CHECKPOINT_INTERVAL_PROPERTY,
    DELIVERIES_TABLE,
    PER_DELIVERY_TABLE_PROPERTIES,
    QUALITY_TABLE,
    REJECTS_TABLE,
    LakeTables,
    bronze_table,
    ensure_table,
    read_table,
    replace_rows,
)
from ingestors.lake_init import initialise_lake
from ingestors.ledger import DeliveryStatus, loaded_delivery_with_content
from ingestors.quality import previous_volume
from storage import Store
from tests.ingestion_helpers import Lake, make_lake, nominals_csv

DELIVERIES = 25  # more than two checkpoints of the per-delivery tables (one every 10 commits)


def _deliver_months(lake: Lake, count: int) -> list[str]:
    """`count` monthly nominals deliveries with 1, 2, 3, ... rows (distinct content); their file names."""
    names = []
    for month in range(count):
        year, index = divmod(month, 12)
        name = f"police_nominals_{2020 + year}-{index + 1:02d}.csv"
        outcome = lake.ingest("police", name, nominals_csv(month + 1, start=1000 * month))
        assert outcome.status is DeliveryStatus.LOADED
        names.append(name)
    return names


def _volume_changes(lake: Lake) -> list[float]:
    quality = read_table(lake.store, QUALITY_TABLE).filter(pl.col("metric") == "volume_change_vs_previous")
    return quality.sort("recorded_at").get_column("value").to_list()


def test_a_redelivery_after_many_deliveries_is_still_a_duplicate_even_under_another_name(tmp_path: Path) -> None:
    lake = make_lake(tmp_path)
    names = _deliver_months(lake, DELIVERIES)
    assert DeltaTable(lake.store.delta_uri(DELIVERIES_TABLE)).version() > 2 * 10, "the ledger passed checkpoints"
    early = lake.ingest("police", "resend_of_the_first_month.csv", nominals_csv(1, start=0))
    latest = lake.ingest("police", "police_nominals_latest_again.csv", nominals_csv(DELIVERIES, start=1000 * (DELIVERIES - 1)))
    assert (early.status, latest.status) == (DeliveryStatus.DUPLICATE, DeliveryStatus.DUPLICATE)
    assert names[0] in (early.explanation or "") and names[-1] in (latest.explanation or "")
    assert lake.bronze("police_nominals").height == DELIVERIES * (DELIVERIES + 1) // 2


def test_a_long_history_on_either_backend_keeps_duplicates_and_volumes_right(store: Store, tmp_path: Path) -> None:
    # Open tables and the incrementally read ledger go through the store's Delta URIs and options (Azure too).
    lake = make_lake(tmp_path, settings=store.settings)
    names = _deliver_months(lake, 12)
    resent = lake.ingest("police", "resent.csv", nominals_csv(5, start=4000))
    assert resent.status is DeliveryStatus.DUPLICATE and names[4] in (resent.explanation or "")
    assert _volume_changes(lake) == [round((n + 1) / n - 1, 4) for n in range(1, 12)]
    incremental = lake.context.lake.read(DELIVERIES_TABLE)
    assert incremental is not None
    assert incremental.sort("ingested_at").equals(read_table(lake.store, DELIVERIES_TABLE).sort("ingested_at"))


def test_volume_change_is_against_the_previous_delivery_after_many_deliveries(tmp_path: Path) -> None:
    lake = make_lake(tmp_path)
    _deliver_months(lake, DELIVERIES)
    # Delivery n+1 has n+1 rows against n before it; the first has no previous delivery.
    assert _volume_changes(lake) == [round((n + 1) / n - 1, 4) for n in range(1, DELIVERIES)]
    ledger = read_table(lake.store, DELIVERIES_TABLE)
    last = ledger.sort("ingested_at").row(-1, named=True)
    assert previous_volume(lake.store, "police_nominals", last["ingested_at"]) == DELIVERIES - 1
    assert previous_volume(lake.store, "police_nominals", last["ingested_at"] + dt.timedelta(microseconds=1)) == DELIVERIES
    assert previous_volume(lake.store, "probation_caseload", last["ingested_at"]) is None


def test_deliveries_recorded_by_another_run_are_seen_by_an_open_context(tmp_path: Path) -> None:
    first = make_lake(tmp_path)
    # A second run on the same lake, with its own open tables, as a concurrent Dagster run would have.
    second = Lake(store=first.store, context=dataclasses.replace(first.context, run_id="other-run"))
    assert second.context.lake is not first.context.lake
    _deliver_months(first, 3)
    assert second.ingest("police", "copy_of_month_two.csv", nominals_csv(2, start=1000)).status is DeliveryStatus.DUPLICATE
    assert second.ingest("police", "police_nominals_2021-06.csv", nominals_csv(7, start=50_000)).status is DeliveryStatus.LOADED
    assert first.ingest("police", "copy_from_the_other_run.csv", nominals_csv(7, start=50_000)).status is DeliveryStatus.DUPLICATE
    # The first run's next delivery compares its volume with the second run's delivery (7 rows).
    first.ingest("police", "police_nominals_2021-07.csv", nominals_csv(14, start=60_000))
    assert _volume_changes(first)[-1] == 1.0


def test_the_incrementally_read_ledger_equals_a_fresh_read(tmp_path: Path) -> None:
    lake = make_lake(tmp_path)
    tables = LakeTables(lake.store)
    for month in range(12):
        lake.ingest("police", f"police_nominals_2021-{month + 1:02d}.csv", nominals_csv(2, start=100 * month))
        incremental = tables.read(DELIVERIES_TABLE)
        assert incremental is not None
        assert incremental.sort("ingested_at").equals(read_table(lake.store, DELIVERIES_TABLE).sort("ingested_at"))
    sha = read_table(lake.store, DELIVERIES_TABLE).sort("ingested_at").row(3, named=True)["content_sha256"]
    fresh = loaded_delivery_with_content(lake.store, sha)
    assert fresh is not None and loaded_delivery_with_content(lake.store, sha, tables=tables) == fresh


def test_the_incrementally_read_table_drops_rows_whose_files_were_replaced(tmp_path: Path) -> None:
    lake = make_lake(tmp_path)
    tables = LakeTables(lake.store)
    lake.ingest("police", "police_nominals_2026-10.csv", nominals_csv(3) + "43/1,N9,Bystander,A,B,01/02/2005,M,,,N\n")
    lake.ingest("police", "police_nominals_2026-11.csv", nominals_csv(2, start=10) + "43/2,N8,Bystander,A,B,01/02/2005,M,,,N\n")
    before = tables.read(REJECTS_TABLE)
    assert before is not None and before.get_column("_delivery_id").n_unique() == 2
    removed = before.get_column("_delivery_id")[0]
    replace_rows(lake.store, REJECTS_TABLE, before.filter(pl.col("_delivery_id") == "none"), f"_delivery_id = '{removed}'")
    after = tables.read(REJECTS_TABLE)
    assert after is not None and removed not in after.get_column("_delivery_id").to_list()
    assert after.sort("line_number", "_delivery_id").equals(read_table(lake.store, REJECTS_TABLE).sort("line_number", "_delivery_id"))


def test_replacing_rows_with_nothing_deletes_them_and_commits_nothing_when_none_match(tmp_path: Path) -> None:
    lake = make_lake(tmp_path)
    lake.ingest("police", "police_nominals_2026-10.csv", nominals_csv(3))
    uri = lake.store.delta_uri(bronze_table("police_nominals"))
    version = DeltaTable(uri).version()
    empty = lake.bronze("police_nominals").clear()
    replace_rows(lake.store, bronze_table("police_nominals"), empty, "_delivery_id = 'no such delivery'")
    assert DeltaTable(uri).version() == version
    assert lake.bronze("police_nominals").height == 3
    delivery = lake.bronze("police_nominals").get_column("_delivery_id")[0]
    replace_rows(lake.store, bronze_table("police_nominals"), empty, f"_delivery_id = '{delivery}'")
    assert lake.bronze("police_nominals").height == 0


def test_a_delivery_whose_rows_are_all_rejected_replaces_its_period_with_nothing(tmp_path: Path) -> None:
    # Snapshot feeds: a corrected delivery for a period replaces the period's rows, even when none is valid.
    lake = make_lake(tmp_path)
    good = '{"crn": "X000001", "firstName": "Sam", "surname": "Lee", "dateOfBirth": "1999-01-02", "gender": "M", ' \
           '"sentenceType": "CO", "sentenceStartDate": "2026-01-01", "roshLevel": "LOW"}\n'
    lake.ingest("probation", "probation_caseload_2026-10.jsonl", good)
    assert lake.bronze("probation_caseload").height == 1
    outcome = lake.ingest("probation", "probation_caseload_2026-10_v2.jsonl", good.replace("X000001", ""))
    assert outcome.status is DeliveryStatus.LOADED and outcome.record.rows_loaded == 0
    assert lake.bronze("probation_caseload").height == 0


def test_per_delivery_tables_checkpoint_every_ten_commits_also_in_an_existing_lake(tmp_path: Path) -> None:
    lake = make_lake(tmp_path)
    per_delivery = [DELIVERIES_TABLE, REJECTS_TABLE, QUALITY_TABLE, AUDIT_TABLE, *(bronze_table(f) for f in load_contracts())]
    for table in per_delivery:
        configuration = DeltaTable(lake.store.delta_uri(table)).metadata().configuration
        assert configuration.get(CHECKPOINT_INTERVAL_PROPERTY) == PER_DELIVERY_TABLE_PROPERTIES[CHECKPOINT_INTERVAL_PROPERTY]
    # A lake created before the property existed gets it from the next initialisation, once.
    old = make_lake(tmp_path / "old")
    uri = old.store.delta_uri(DELIVERIES_TABLE)
    DeltaTable(uri).alter.set_table_properties({CHECKPOINT_INTERVAL_PROPERTY: "100"})
    initialise_lake(old.store)
    version = DeltaTable(uri).version()
    assert DeltaTable(uri).metadata().configuration[CHECKPOINT_INTERVAL_PROPERTY] == "10"
    assert ensure_table(old.store, DELIVERIES_TABLE, {}, properties=PER_DELIVERY_TABLE_PROPERTIES) is False
    assert DeltaTable(uri).version() == version, "no further commit once the property is set"
    _deliver_months(old, 12)
    log = {p.name for p in (Path(uri) / "_delta_log").iterdir()}
    assert any(name.endswith(".checkpoint.parquet") for name in log)


def test_a_context_copy_gets_its_own_open_tables(tmp_path: Path) -> None:
    lake = make_lake(tmp_path)
    copy = dataclasses.replace(lake.context, today=dt.date(2026, 12, 1))
    assert isinstance(copy, IngestContext) and copy.lake is not lake.context.lake and copy.lake.store is copy.store
