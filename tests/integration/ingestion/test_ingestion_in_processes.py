"""Files prepared in worker processes: the same lake as one file at a time, and the key never sent to a worker.

Each worker loads the pseudonymisation key from the environment it inherits. These tests run real spawned processes,
so the children see only what the environment gives them (monkeypatching the parent's functions cannot reach them).
"""

from __future__ import annotations

import os
import pickle
import secrets
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import ingestors.ingest as ingest_module
from ingestors.accounting import accounting_problems
from ingestors.context import build_ingest_context
from ingestors.contract import load_contracts
from ingestors.errors import FileRejected, QuarantineReason
from ingestors.ingest import ingest_file, ingest_files
from ingestors.preparing import KeyMismatch, PreparingProcesses, PreparingThreads
from privacy.keys import ENV_KEY, MissingKeyError, load_master_key_from_environment
from tests.ingestion_helpers import TEST_KEY, Lake, make_lake, nominals_csv
from tests.integration.ingestion.test_ingestion_many_files import (
    EXPECTED_STATUSES,
    drop_all,
    lake_state,
    summary,
)


def in_processes(lake: Lake) -> Lake:
    lake.context = replace(lake.context, key_loader=load_master_key_from_environment)
    return lake


@pytest.fixture(autouse=True)
def small_files_in_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Test files are a few hundred bytes; in use, processes start only for runs of 64 MiB or more."""
    monkeypatch.setattr(ingest_module, "MIN_BYTES_FOR_PROCESSES", 1)


@pytest.fixture
def key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test key, configured the way a deployment configures its key (spawned workers inherit it)."""
    monkeypatch.setenv(ENV_KEY, TEST_KEY._reveal().hex())


@pytest.mark.usefixtures("key_in_environment")
def test_processes_give_the_lake_that_one_file_at_a_time_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_by_one = make_lake(tmp_path / "one_by_one")
    single = [ingest_file(one_by_one.context, path) for path in drop_all(one_by_one)]

    lake = in_processes(make_lake(tmp_path / "processes"))
    submitted_to: list[str] = []
    for kind in (PreparingProcesses, PreparingThreads):

        def submit(self: Any, *args: Any, _real: Any = kind.submit) -> Any:
            submitted_to.append(type(self).__name__)
            return _real(self, *args)

        monkeypatch.setattr(kind, "submit", submit)
    outcomes = ingest_files(lake.context, drop_all(lake))
    assert submitted_to and set(submitted_to) == {"PreparingProcesses"}, "every file was prepared in a worker process"

    assert [o.status for o in outcomes] == EXPECTED_STATUSES
    assert summary(outcomes) == summary(single)
    # Same pseudonyms (the worker's key is the caller's), same rejects, same ledger, and the unreadable file's
    # rejection crossed back from its worker with its reason.
    assert lake_state(lake) == lake_state(one_by_one)
    quarantined = outcomes[EXPECTED_STATUSES.index(ingest_module.DeliveryStatus.QUARANTINED)]
    assert quarantined.record.reason == single[5].record.reason
    for feed in ("police_nominals", "probation_caseload"):
        assert accounting_problems(lake.store, load_contracts()[feed]) == []


def test_a_worker_with_another_key_refuses_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_KEY, secrets.token_hex(32))  # not the key the caller loaded
    lake = in_processes(make_lake(tmp_path))
    paths = [lake.drop("police", f"police_nominals_2026-0{m}.csv", nominals_csv(3, start=10 * m)) for m in range(1, 6)]

    with pytest.raises(KeyMismatch, match="different pseudonymisation key"):
        ingest_files(lake.context, paths)

    assert sorted(o.path for o in lake.store.list("landing")) == sorted(paths), "every file waits for the next run"
    assert lake.table("ops/deliveries").height == 0
    assert lake.bronze("police_nominals").height == 0


def test_a_worker_without_a_key_says_how_to_configure_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_KEY, raising=False)
    lake = in_processes(make_lake(tmp_path))
    paths = [lake.drop("police", f"police_nominals_2026-0{m}.csv", nominals_csv(3, start=10 * m)) for m in range(1, 6)]
    with pytest.raises(MissingKeyError, match=ENV_KEY):
        ingest_files(lake.context, paths)
    assert len(lake.store.list("landing")) == 5


def test_processes_are_used_only_for_enough_work_and_a_key_the_workers_can_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.undo()  # the real threshold, not the tests' one
    monkeypatch.setenv(ENV_KEY, TEST_KEY._reveal().hex())

    def preparer_kind(lake: Lake, files: int, size: int) -> type:
        with ingest_module._preparer(lake.context, files, size) as preparer:
            return type(preparer)

    lake = make_lake(tmp_path)
    enough = ingest_module.MIN_BYTES_FOR_PROCESSES
    assert preparer_kind(lake, 50, enough) is PreparingThreads, "without a key loader, threads"
    in_processes(lake)
    assert preparer_kind(lake, 50, enough - 1) is PreparingThreads, "too little work to repay starting processes"
    assert preparer_kind(lake, 1, enough * 4) is PreparingThreads, "one file: nothing to prepare side by side"
    assert preparer_kind(lake, 2, enough) is PreparingProcesses

    # Only this process's own environment can be inherited by a worker, so only it enables processes.
    assert build_ingest_context(lake.store, os.environ).key_loader is load_master_key_from_environment
    assert build_ingest_context(lake.store, {ENV_KEY: secrets.token_hex(32)}).key_loader is None


def test_the_key_cannot_be_sent_to_a_worker_but_a_rejection_can_be_sent_back() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(TEST_KEY)
    rejected = FileRejected(QuarantineReason.UNSUPPORTED_FORMAT, "not a table", details={"line": 3})
    back = pickle.loads(pickle.dumps(rejected))
    assert (back.reason, back.explanation, back.details) == (rejected.reason, "not a table", {"line": 3})
