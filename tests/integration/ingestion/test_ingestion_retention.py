"""Retention: archived originals are deleted after their agreement's period, quarantined ones after the partner's
shortest period, and every deletion is audited."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from ingestors.retention import apply_retention, retention_decisions
from tests.ingestion_helpers import Lake, make_lake, nominals_csv


def test_originals_past_retention_are_deleted_and_audited(tmp_path: Path) -> None:
    lake: Lake = make_lake(tmp_path)
    lake.ingest("police", "police_nominals_2026-10.csv", nominals_csv(2))  # police agreements keep 90 days
    lake.ingest("police", "not_a_feed.csv", "a,b\n1,2\n")  # quarantined: police's shortest period, also 90
    lake.ingest("health", "ed_assaults_2026-10.csv", "SiteCode,ArrivalDate\n")  # quarantined (empty); health: 30
    decisions = sorted((d.path.split("/")[0], d.feed, d.keep_days) for d in retention_decisions(lake.store))
    assert decisions == [("police", "police_nominals", 90), ("quarantined", None, 30), ("quarantined", None, 90)]
    archived_on = dt.date.today()

    assert apply_retention(lake.store, archived_on + dt.timedelta(days=30)) == []
    health_gone = apply_retention(lake.store, archived_on + dt.timedelta(days=31))
    assert [d.keep_days for d in health_gone] == [30], "the health original goes first"
    rest = apply_retention(lake.store, archived_on + dt.timedelta(days=91), run_id="retention-run")
    assert len(rest) == 2 and lake.store.list("archive") == []

    audit = lake.table("ops/audit").filter(pl.col("event_type") == "retention_deletion")
    assert audit.height == 3 and set(audit.get_column("run_id").drop_nulls()) == {"retention-run"}


def test_objects_vrlake_did_not_archive_are_left_alone(tmp_path: Path) -> None:
    lake = make_lake(tmp_path)
    lake.store.write_text("archive", "notes/readme.txt", "kept by the VRU")
    assert apply_retention(lake.store, dt.date.today() + dt.timedelta(days=10_000)) == []
    assert lake.store.exists("archive", "notes/readme.txt")
