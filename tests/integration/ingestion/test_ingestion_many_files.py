"""Several files in one ingestion: prepared side by side, written one by one, with the lake of one-at-a-time runs.

`ingest_files` reads, validates and protects later files while an earlier one is written. These tests pin what that
must not change: the same bronze rows, ledger, rejects and quarantine as `ingest_file` on each file in turn; a file
identical to one earlier in the same batch is still a duplicate; writes happen only in the calling thread; and a
failure part-way leaves the files not yet written in the drop zone.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

import ingestors.ingest as ingest_module
from ingestors.accounting import accounting_problems
from ingestors.context import build_ingest_context
from ingestors.contract import load_contracts
from ingestors.ingest import DeliveryOutcome, ingest_file, ingest_files, prepare_workers
from ingestors.lake import bronze_table
from ingestors.ledger import DeliveryStatus
from privacy.protect import IdentifierLeak
from tests.ingestion_helpers import Lake, make_lake, nominals_csv

BAD_ROW = "43/999999/26,N900,Bystander,Smith,John,01/02/2005,M,LS1 4AP,,N"  # role not in the contract's codes
# Lineage that records *when* a run happened, not what it loaded.
RUN_TIME_COLUMNS = ("_ingested_at", "ingested_at", "received_at", "recorded_at", "run_id", "at")


def caseload(crns: list[str], rosh: str = "LOW") -> str:
    base = {"firstName": "Sam", "surname": "Lee", "dateOfBirth": "1999-01-02", "gender": "M",
            "sentenceType": "CO", "sentenceStartDate": "2026-01-01", "roshLevel": rosh}
    return "".join(json.dumps({**base, "crn": crn}) + "\n" for crn in crns)


# (partner, file name, content), in delivery order: good files of two partners, a file with a bad row, a file named
# outside the convention (recognised by its header), an exact resend of the first file under another name (so only
# the check just before writing can see it), an unreadable file, and a corrected snapshot for a period.
DELIVERIES: list[tuple[str, str, str]] = [
    ("police", "police_nominals_2026-08.csv", nominals_csv(5)),
    ("probation", "probation_caseload_2026-09.jsonl", caseload(["X000001", "X000002"])),
    ("police", "police_nominals_2026-09.csv", nominals_csv(4, start=20) + BAD_ROW + "\n"),
    ("police", "export_from_niche.csv", nominals_csv(3, start=40)),
    ("police", "nominals_resend.csv", nominals_csv(5)),
    ("police", "police_nominals_2026-10.csv", "this is not a table\x00\x01"),
    ("probation", "probation_caseload_2026-10.jsonl", caseload(["X000001", "X000003"])),
    ("probation", "probation_caseload_2026-10_v2.jsonl", caseload(["X000001", "X000003", "X000004"], "HIGH")),
]


LOADED, DUPLICATE, QUARANTINED = DeliveryStatus.LOADED, DeliveryStatus.DUPLICATE, DeliveryStatus.QUARANTINED
EXPECTED_STATUSES = [LOADED, LOADED, LOADED, LOADED, DUPLICATE, QUARANTINED, LOADED, LOADED]


def drop_all(lake: Lake) -> list[str]:
    return [lake.drop(partner, name, data) for partner, name, data in DELIVERIES]


def comparable(frame: pl.DataFrame) -> list[tuple[object, ...]]:
    """A table's rows without the columns that say when a run happened, in a stable order."""
    kept = frame.drop([c for c in frame.columns if c in RUN_TIME_COLUMNS])
    return sorted(kept.rows(), key=repr)


def lake_state(lake: Lake) -> dict[str, object]:
    feeds = ("police_nominals", "probation_caseload")
    ledger = lake.table("ops/deliveries").sort("ingested_at")
    return {
        **{feed: comparable(lake.table(bronze_table(feed))) for feed in feeds},
        "rejects": comparable(lake.table("ops/rejects")),
        "ledger": ledger.select("source_file", "status", "feed", "period", "rows_loaded", "delivery_id").rows(),
        "landing": lake.store.list("landing"),
        "quarantine reasons": sorted(o.path.split("_", 2)[-1] for o in lake.store.list("quarantine")),
    }


def summary(outcomes: list[DeliveryOutcome]) -> list[tuple[str, str, int, int]]:
    return [(o.record.source_file, o.status.value, o.record.rows_loaded, o.record.rows_rejected) for o in outcomes]


def test_a_batch_gives_the_lake_that_one_file_at_a_time_gives(tmp_path: Path) -> None:
    one_by_one = make_lake(tmp_path / "one_by_one")
    single = [ingest_file(one_by_one.context, path) for path in drop_all(one_by_one)]

    batched = make_lake(tmp_path / "batched")
    batched.context = replace(batched.context, prepare_workers=3)
    reported: list[DeliveryOutcome] = []
    together = ingest_files(batched.context, drop_all(batched), on_outcome=reported.append)

    assert summary(together) == summary(single)
    assert reported == together, "outcomes are reported as each file is written, in delivery order"
    assert [o.status for o in together] == EXPECTED_STATUSES
    assert "police_nominals_2026-08.csv" in (together[4].explanation or "")
    assert lake_state(batched) == lake_state(one_by_one)
    assert batched.bronze("police_nominals").height == 5 + 4 + 3, "the resend was not loaded a second time"
    assert batched.bronze("probation_caseload").filter(pl.col("_period") == "2026-10").height == 3
    for feed in ("police_nominals", "probation_caseload"):
        assert accounting_problems(batched.store, load_contracts()[feed]) == []


def test_the_same_file_twice_in_one_batch_loads_once(tmp_path: Path) -> None:
    lake = make_lake(tmp_path)
    paths = [lake.drop("police", name, nominals_csv(6)) for name in ("nominals_a.csv", "nominals_b.csv", "nominals_c.csv")]
    outcomes = ingest_files(lake.context, paths)
    assert [o.status for o in outcomes] == [DeliveryStatus.LOADED, DeliveryStatus.DUPLICATE, DeliveryStatus.DUPLICATE]
    assert lake.bronze("police_nominals").height == 6
    assert lake.store.list("landing") == [], "duplicates are archived too"


def test_files_are_prepared_by_workers_and_written_by_the_caller(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lake = make_lake(tmp_path)
    paths = [lake.drop("police", f"police_nominals_2026-0{m}.csv", nominals_csv(3, start=10 * m)) for m in range(1, 6)]
    prepared_on: list[str] = []
    written_on: list[str] = []
    real_prepare, real_commit = ingest_module._prepare, ingest_module._commit

    def prepare(*args: object, **kwargs: object) -> object:
        prepared_on.append(threading.current_thread().name)
        return real_prepare(*args, **kwargs)  # type: ignore[arg-type]

    def commit(*args: object, **kwargs: object) -> object:
        written_on.append(threading.current_thread().name)
        return real_commit(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest_module, "_prepare", prepare)
    monkeypatch.setattr(ingest_module, "_commit", commit)
    outcomes = ingest_files(lake.context, paths)

    assert [o.status for o in outcomes] == [DeliveryStatus.LOADED] * 5
    caller = threading.current_thread().name
    assert written_on == [caller] * 5
    assert prepared_on and all(name.startswith("vrlake-prepare") for name in prepared_on)
    periods = lake.table("ops/deliveries").sort("ingested_at").get_column("period").to_list()
    assert periods == [f"2026-0{m}" for m in range(1, 6)], "the ledger records the files in delivery order"


def test_a_failure_part_way_keeps_the_written_files_and_leaves_the_rest_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = make_lake(tmp_path)
    work_root = tmp_path / "work"
    work_root.mkdir()
    monkeypatch.setattr(ingest_module.tempfile, "tempdir", str(work_root))
    paths = [lake.drop("police", f"police_nominals_2026-0{m}.csv", nominals_csv(3, start=10 * m)) for m in range(1, 6)]
    real_protect = ingest_module.protect

    def leak_in_the_third_file(valid: pl.DataFrame, contract, agreement, keys, lookup, lineage):  # type: ignore[no-untyped-def]
        if "2026-03" in str(lineage["_source_file"]):
            raise IdentifierLeak("simulated")
        return real_protect(valid, contract, agreement, keys, lookup, lineage)

    monkeypatch.setattr(ingest_module, "protect", leak_in_the_third_file)
    with pytest.raises(IdentifierLeak):
        ingest_files(lake.context, paths)

    ledger = lake.table("ops/deliveries")
    assert sorted(ledger.get_column("source_file").to_list()) == ["police_nominals_2026-01.csv", "police_nominals_2026-02.csv"]
    assert lake.bronze("police_nominals").height == 6
    waiting = sorted(o.path for o in lake.store.list("landing"))
    assert waiting == paths[2:], "nothing after the failure was archived or lost"
    assert list(work_root.iterdir()) == [], "staged rows of files never written are removed"

    monkeypatch.undo()
    rerun = ingest_files(lake.context, waiting)
    assert [o.status for o in rerun] == [DeliveryStatus.LOADED] * 3
    assert lake.bronze("police_nominals").height == 15
    assert accounting_problems(lake.store, load_contracts()["police_nominals"]) == []


def test_one_worker_gives_the_same_lake(tmp_path: Path) -> None:
    one_by_one = make_lake(tmp_path / "one_by_one")
    single = [ingest_file(one_by_one.context, path) for path in drop_all(one_by_one)]
    lake = make_lake(tmp_path / "one_worker")
    lake.context = replace(lake.context, prepare_workers=1)
    outcomes = ingest_files(lake.context, drop_all(lake))
    assert [o.status for o in outcomes] == EXPECTED_STATUSES
    assert summary(outcomes) == summary(single)
    assert lake_state(lake) == lake_state(one_by_one)


def test_the_number_of_workers_is_configurable_and_checked(tmp_path: Path) -> None:
    assert prepare_workers({}) == 2
    assert prepare_workers({"VRLAKE_INGEST_WORKERS": " 4 "}) == 4
    for bad in ("0", "-1", "two", "1.5"):
        with pytest.raises(ValueError, match="VRLAKE_INGEST_WORKERS"):
            prepare_workers({"VRLAKE_INGEST_WORKERS": bad})
    store = make_lake(tmp_path).store
    env = {"VRLAKE_PSEUDONYMISATION_KEY": secrets.token_hex(32), "VRLAKE_INGEST_WORKERS": "3"}
    assert build_ingest_context(store, env).prepare_workers == 3
    with pytest.raises(ValueError, match="at least 1"):
        replace(build_ingest_context(store, env), prepare_workers=0)


def test_a_failing_report_archives_and_reports_each_written_file_once(tmp_path: Path) -> None:
    """Outcomes are reported after their batch is committed; a report that fails part-way (the run's event log
    unavailable, say) must neither archive a file twice nor leave a recorded file in the drop zone."""
    lake = make_lake(tmp_path)
    paths = [lake.drop("police", f"police_nominals_2026-0{m}.csv", nominals_csv(3, start=10 * m)) for m in range(1, 6)]
    reported: list[str] = []

    def report(outcome: DeliveryOutcome) -> None:
        reported.append(outcome.record.source_file)
        if len(reported) == 2:
            raise RuntimeError("the run's event log is unavailable")

    with pytest.raises(RuntimeError, match="event log"):
        ingest_files(lake.context, paths, on_outcome=report)

    assert reported == [path.split("/")[-1] for path in paths], "every written file reported once, in order"
    assert lake.store.list("landing") == [], "every recorded file archived"
    assert lake.table("ops/deliveries").height == 5
    assert lake.bronze("police_nominals").height == 15
