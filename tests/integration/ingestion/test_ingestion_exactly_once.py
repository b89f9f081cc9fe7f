"""Exactly-once loading: a duplicate delivery, a corrected re-delivery for a period, and a crash mid-ingest."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

import ingestors.ingest as ingest_module
from ingestors.accounting import accounting_problems
from ingestors.contract import load_contracts
from ingestors.ingest import ingest_file
from ingestors.ledger import DeliveryStatus
from tests.ingestion_helpers import Lake, make_lake, nominals_csv


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return make_lake(tmp_path)


def caseload(crns: list[str], rosh: str = "LOW") -> str:
    base = {"firstName": "Sam", "surname": "Lee", "dateOfBirth": "1999-01-02", "gender": "M",
            "sentenceType": "CO", "sentenceStartDate": "2026-01-01", "roshLevel": rosh}
    return "".join(json.dumps({**base, "crn": crn}) + "\n" for crn in crns)


def test_identical_file_under_another_name_is_recorded_as_duplicate_and_not_loaded(lake: Lake) -> None:
    first = lake.ingest("police", "police_nominals_2026-10.csv", nominals_csv(3))
    second = lake.ingest("police", "nominals_resend.csv", nominals_csv(3))
    assert first.status is DeliveryStatus.LOADED
    assert second.status is DeliveryStatus.DUPLICATE
    assert "police_nominals_2026-10.csv" in second.explanation
    assert lake.bronze("police_nominals").height == 3
    ledger = lake.table("ops/deliveries")
    assert sorted(ledger.get_column("status").to_list()) == ["duplicate", "loaded"]
    assert lake.store.list("landing") == [], "the duplicate is archived, not left in the drop zone"


def test_new_incremental_delivery_adds_rows(lake: Lake) -> None:
    lake.ingest("police", "police_nominals_2026-10.csv", nominals_csv(3))
    lake.ingest("police", "police_nominals_2026-11.csv", nominals_csv(2, start=10))
    assert lake.bronze("police_nominals").height == 5


def test_corrected_snapshot_for_a_period_replaces_that_period_only(lake: Lake) -> None:
    lake.ingest("probation", "probation_caseload_2026-09.jsonl", caseload(["X000001", "X000002"]))
    lake.ingest("probation", "probation_caseload_2026-10.jsonl", caseload(["X000001", "X000002", "X000003"]))
    corrected = lake.ingest("probation", "probation_caseload_2026-10_v2.jsonl", caseload(["X000001", "X000003"], "HIGH"))
    assert corrected.status is DeliveryStatus.LOADED
    bronze = lake.bronze("probation_caseload")
    by_period = dict(bronze.group_by("_period").len().iter_rows())
    assert by_period == {"2026-09": 2, "2026-10": 2}
    assert set(bronze.filter(pl.col("_period") == "2026-10").get_column("rosh")) == {"High"}
    assert accounting_problems(lake.store, load_contracts()["probation_caseload"]) == []


def test_ingestion_killed_after_the_lake_write_then_rerun_leaves_exactly_one_copy(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = lake.drop("police", "police_nominals_2026-10.csv", nominals_csv(4))

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt("process killed")

    monkeypatch.setattr(ingest_module, "record_delivery", crash)
    with pytest.raises(KeyboardInterrupt):
        ingest_file(lake.context, path)
    assert lake.bronze("police_nominals").height == 4, "the bronze commit landed before the crash"
    assert lake.store.exists("landing", path), "the original stays in the drop zone until fully processed"

    monkeypatch.undo()
    rerun = ingest_file(lake.context, path)
    assert rerun.status is DeliveryStatus.LOADED
    assert lake.bronze("police_nominals").height == 4, "the rerun replaced its own rows, no second copy"
    assert lake.table("ops/rejects").height == 0
    assert accounting_problems(lake.store, load_contracts()["police_nominals"]) == []


def test_accounting_check_fails_when_the_lake_and_ledger_disagree(lake: Lake) -> None:
    lake.ingest("police", "police_nominals_2026-10.csv", nominals_csv(3))
    extra = lake.bronze("police_nominals").head(1)
    from ingestors.lake import append_rows

    append_rows(lake.store, "bronze/police_nominals", extra)
    problems = accounting_problems(lake.store, load_contracts()["police_nominals"])
    assert problems and "ledger says 3 rows loaded, the lake holds 4" in problems[0]


def test_unchanged_snapshot_for_a_new_period_is_loaded_but_a_resend_for_the_same_period_is_not(lake: Lake) -> None:
    september = lake.ingest("probation", "probation_caseload_2026-09.jsonl", caseload(["X000001"]))
    october = lake.ingest("probation", "probation_caseload_2026-10.jsonl", caseload(["X000001"]))
    resent = lake.ingest("probation", "caseload_october_again_2026-10.jsonl", caseload(["X000001"]))
    assert [september.status, october.status, resent.status] == [
        DeliveryStatus.LOADED, DeliveryStatus.LOADED, DeliveryStatus.DUPLICATE
    ]
    assert september.record.delivery_id != october.record.delivery_id
    assert dict(lake.bronze("probation_caseload").group_by("_period").len().iter_rows()) == {"2026-09": 1, "2026-10": 1}
    assert accounting_problems(lake.store, load_contracts()["probation_caseload"]) == []


def test_a_file_streamed_in_small_batches_loads_and_rejects_exactly_as_a_whole_file(tmp_path: Path) -> None:
    from dataclasses import replace

    streamed = make_lake(tmp_path / "streamed")
    streamed.context = replace(streamed.context, batch_rows=2)
    whole = make_lake(tmp_path / "whole")
    repeated_later = nominals_csv(1).split("\n", 1)[1]  # N1 again, in a later batch
    bad_code = "43/123456/26,N99,Bystander,Smith,John,01/02/2005,M,LS1 4AP,,N\n"
    csv = nominals_csv(5) + bad_code + repeated_later
    outcomes = [lake.ingest("police", "police_nominals_2026-10.csv", csv) for lake in (streamed, whole)]
    assert [(o.record.rows_read, o.record.rows_loaded, o.record.rows_rejected) for o in outcomes] == [(7, 5, 2)] * 2
    drop = ["_delivery_id", "_ingested_at"]
    assert streamed.bronze("police_nominals").drop(drop).sort("_row_number").equals(
        whole.bronze("police_nominals").drop(drop).sort("_row_number")
    )
    rejects = streamed.table("ops/rejects").sort("line_number")
    assert rejects.select("line_number", "rule").rows() == [(7, "code"), (8, "duplicate_record")]
    assert accounting_problems(streamed.store, load_contracts()["police_nominals"]) == []


def test_a_failure_while_protecting_a_later_batch_leaves_the_lake_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Batches are protected in a background thread; its failure must still stop the load before any commit.
    from dataclasses import replace

    from privacy.protect import IdentifierLeak

    lake = make_lake(tmp_path)
    lake.context = replace(lake.context, batch_rows=2)
    path = lake.drop("police", "police_nominals_2026-10.csv", nominals_csv(7))
    real_protect = ingest_module.protect
    batches: list[int] = []

    def leak_on_third_batch(valid: pl.DataFrame, *args: object, **kwargs: object) -> pl.DataFrame:
        batches.append(valid.height)
        if len(batches) == 3:
            raise IdentifierLeak("simulated")
        return real_protect(valid, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest_module, "protect", leak_on_third_batch)
    with pytest.raises(IdentifierLeak):
        ingest_file(lake.context, path)
    assert lake.bronze("police_nominals").height == 0
    assert lake.table("ops/deliveries").height == 0
    assert lake.store.exists("landing", path), "the original stays in the drop zone"
