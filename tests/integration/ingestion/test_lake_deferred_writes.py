"""`LakeTables.deferring`: small writes held in memory and committed once per table, visible to reads meanwhile.

Ingestion holds each file's rejects, quality, ledger and audit rows and commits those of many files together. These
tests pin what that must keep: reads see the held rows, a flush is one commit per table in the order named, held
replacements replace what they name and nothing else, and what was never flushed never reaches the lake.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable

from ingestors.lake import LakeTables, read_table, replace_rows
from storage import StorageSettings, open_store

LEDGER, AUDIT, REJECTS = "ops/test_ledger", "ops/test_audit", "ops/test_rejects"


def rows(delivery: str, *values: int) -> pl.DataFrame:
    return pl.DataFrame({"_delivery_id": [delivery] * len(values), "value": list(values)})


def version(tables: LakeTables, table: str) -> int:
    return DeltaTable(tables.store.delta_uri(table)).version()


@pytest.fixture
def tables(tmp_path: Path) -> LakeTables:
    store = open_store(StorageSettings(home=tmp_path))
    for table in (LEDGER, AUDIT, REJECTS):
        replace_rows(store, table, rows("existing", 1, 2), "_delivery_id = 'existing'")
    replace_rows(store, REJECTS, rows("redelivered", 7), "_delivery_id = 'redelivered'")
    return LakeTables(store)


def test_held_rows_are_read_and_flushed_in_one_commit_per_table(tables: LakeTables) -> None:
    before = {table: version(tables, table) for table in (LEDGER, AUDIT)}
    with tables.deferring(LEDGER, AUDIT):
        for delivery in ("a", "b", "c"):
            tables.append_rows(LEDGER, rows(delivery, 10))
            tables.append_rows(AUDIT, rows(delivery, 20))
            ledger = tables.read(LEDGER)
            assert ledger is not None and delivery in ledger.get_column("_delivery_id").to_list()
        assert version(tables, LEDGER) == before[LEDGER], "nothing is committed before the flush"
        assert read_table(tables.store, LEDGER).height == 2
        tables.flush()
        assert {table: version(tables, table) for table in (LEDGER, AUDIT)} == {t: v + 1 for t, v in before.items()}
        tables.flush()  # nothing held: no empty commit
        assert version(tables, LEDGER) == before[LEDGER] + 1
    committed = read_table(tables.store, LEDGER).sort("_delivery_id", "value")
    assert committed.get_column("_delivery_id").to_list() == ["a", "b", "c", "existing", "existing"]
    assert tables.read(LEDGER) is not None and tables.read(LEDGER).height == 5  # type: ignore[union-attr]


def test_tables_are_committed_in_the_order_named_whatever_the_order_written(
    tables: LakeTables, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ingestion names the ledger after rejects and quality: a crash between commits must never leave a delivery
    in the ledger (so never loaded again) without its rejects."""
    committed: list[str] = []
    for method in ("_append_now", "_replace_now"):
        real = getattr(LakeTables, method)
        monkeypatch.setattr(
            LakeTables, method, lambda self, table, *args, _real=real: (committed.append(table), _real(self, table, *args))
        )
    with tables.deferring(REJECTS, AUDIT, LEDGER):
        tables.append_rows(LEDGER, rows("a", 1))  # written first, committed last
        tables.append_rows(AUDIT, rows("a", 2))
        tables.replace_rows(REJECTS, rows("a", 3), "_delivery_id = 'a'")
        tables.flush()
    assert committed == [REJECTS, AUDIT, LEDGER]


def test_held_replacements_replace_only_what_they_name(tables: LakeTables) -> None:
    with tables.deferring(REJECTS):
        tables.replace_rows(REJECTS, rows("redelivered", 8, 9), "_delivery_id = 'redelivered'")
        tables.replace_rows(REJECTS, rows("new"), "_delivery_id = 'new'")  # no rejects: nothing to add
        tables.replace_rows(REJECTS, rows("o'brien", 4), "_delivery_id = 'o''brien'")
        with pytest.raises(RuntimeError, match="flush before reading"):
            tables.read(REJECTS)
        tables.flush()
    result = read_table(tables.store, REJECTS).sort("_delivery_id", "value")
    assert result.rows() == [("existing", 1), ("existing", 2), ("o'brien", 4), ("redelivered", 8), ("redelivered", 9)]


def test_writes_never_flushed_never_reach_the_lake(tables: LakeTables) -> None:
    before = version(tables, LEDGER)
    with pytest.raises(KeyError), tables.deferring(LEDGER):
        tables.append_rows(LEDGER, rows("lost", 1))
        raise KeyError("the run failed before its flush")
    assert version(tables, LEDGER) == before
    assert "lost" not in read_table(tables.store, LEDGER).get_column("_delivery_id").to_list()
    assert "lost" not in tables.read(LEDGER).get_column("_delivery_id").to_list()  # type: ignore[union-attr]
    tables.append_rows(LEDGER, rows("after", 1))  # no longer deferred: committed at once
    assert version(tables, LEDGER) == before + 1


def test_deferred_tables_take_one_kind_of_write(tables: LakeTables) -> None:
    with tables.deferring(LEDGER):
        tables.append_rows(LEDGER, rows("a", 1))
        with pytest.raises(TypeError):
            tables.replace_rows(LEDGER, rows("a", 1), "_delivery_id = 'a'")
        with pytest.raises(RuntimeError, match="already"), tables.deferring(AUDIT):
            pass
