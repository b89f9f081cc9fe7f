"""The Store contract, run with the same bodies on the local backend and on Azurite (``store`` fixture)."""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable

from storage import ObjectExists, ObjectNotFound, Store, ZoneNotFound, open_store
from tests.azurite import ACCOUNT_KEY

CSV = b"occurrence_id,date\n1,2024-01-02\n2,2024-01-03\n"


def test_write_read_and_info(store: Store) -> None:
    written = store.write_bytes("landing", "police/2024/occurrences.csv", CSV)
    assert store.read_bytes("landing", "police/2024/occurrences.csv") == CSV
    info = store.info("landing", "police/2024/occurrences.csv")
    assert (info.zone, info.path, info.name, info.size) == (
        "landing",
        "police/2024/occurrences.csv",
        "occurrences.csv",
        len(CSV),
    )
    assert info.etag == written.etag and info.etag
    assert info.last_modified.tzinfo is not None
    assert info.content_md5 in (None, hashlib.md5(CSV).hexdigest())


def test_text_round_trip_is_utf8(store: Store) -> None:
    store.write_text("reports", "summary.md", "Café — 3 files\n")
    assert store.read_bytes("reports", "summary.md") == "Café — 3 files\n".encode()
    assert store.read_text("reports", "summary.md") == "Café — 3 files\n"


def test_names_with_spaces_and_unicode_survive(store: Store) -> None:
    path = "health/A&E attendances/Ünïcode 2024.csv"
    store.write_bytes("landing", path, CSV)
    assert [info.path for info in store.list("landing")] == [path]
    assert store.read_bytes("landing", path) == CSV


def test_list_is_recursive_sorted_and_filtered_by_prefix(store: Store) -> None:
    for path in ["police/2024/b.csv", "police/2024/a.csv", "police/2024-extra.csv", "health/x.csv"]:
        store.write_bytes("landing", path, b"x")
    assert [i.path for i in store.list("landing")] == [
        "health/x.csv",
        "police/2024-extra.csv",
        "police/2024/a.csv",
        "police/2024/b.csv",
    ]
    assert [i.path for i in store.list("landing", "police/2024/")] == [
        "police/2024/a.csv",
        "police/2024/b.csv",
    ]
    # A plain string prefix, like a blob-name prefix.
    assert [i.path for i in store.list("landing", "police/2024")] == [
        "police/2024-extra.csv",
        "police/2024/a.csv",
        "police/2024/b.csv",
    ]
    assert store.list("landing", "nobody/") == []
    assert store.list("quarantine") == []


def test_exists(store: Store) -> None:
    assert not store.exists("landing", "police/a.csv")
    store.write_bytes("landing", "police/a.csv", b"x")
    assert store.exists("landing", "police/a.csv")
    assert not store.exists("landing", "police")  # a folder is not an object


def test_rewrite_changes_the_etag(store: Store) -> None:
    first = store.write_bytes("landing", "a.csv", b"first")
    second = store.write_bytes("landing", "a.csv", b"second, longer")
    assert second.etag != first.etag
    assert store.read_bytes("landing", "a.csv") == b"second, longer"


def test_overwrite_false_refuses_and_keeps_the_original(store: Store) -> None:
    store.write_bytes("archive", "a.csv", b"original")
    with pytest.raises(ObjectExists, match="'a.csv'.*'archive'"):
        store.write_bytes("archive", "a.csv", b"replacement", overwrite=False)
    assert store.read_bytes("archive", "a.csv") == b"original"
    store.write_bytes("archive", "new.csv", b"new", overwrite=False)
    assert store.read_bytes("archive", "new.csv") == b"new"


def test_upload_and_streamed_download(store: Store, tmp_path: Path) -> None:
    payload = uuid.uuid4().bytes * 200_000  # 3.2 MB: several download chunks on Azure
    source = tmp_path / "in.bin"
    source.write_bytes(payload)
    info = store.upload_file("marts", "exports/big.bin", source)
    assert info.size == len(payload)
    assert info.content_md5 in (None, hashlib.md5(payload).hexdigest())
    target = store.download_to("marts", "exports/big.bin", tmp_path / "out" / "nested" / "big.bin")
    assert target == tmp_path / "out" / "nested" / "big.bin"
    assert target.read_bytes() == payload
    with pytest.raises(ObjectExists):
        store.upload_file("marts", "exports/big.bin", source, overwrite=False)


def test_local_file_gives_a_readable_path_with_the_original_name(store: Store) -> None:
    store.write_bytes("landing", "council/returns.xlsx", b"not really excel")
    with store.local_file("landing", "council/returns.xlsx") as path:
        assert path.name == "returns.xlsx"  # readers pick the parser from the extension
        assert path.read_bytes() == b"not really excel"
    assert store.exists("landing", "council/returns.xlsx")  # reading never consumes the object


def test_move_copies_then_removes_the_source(store: Store) -> None:
    store.write_bytes("landing", "police/a.csv", CSV)
    moved = store.move("landing", "police/a.csv", "archive", "police/2024-01-02/a.csv")
    assert not store.exists("landing", "police/a.csv")
    assert store.read_bytes("archive", "police/2024-01-02/a.csv") == CSV
    assert (moved.zone, moved.path, moved.size) == ("archive", "police/2024-01-02/a.csv", len(CSV))


def test_failed_move_keeps_the_source(store: Store) -> None:
    store.write_bytes("landing", "police/a.csv", b"new delivery")
    store.write_bytes("archive", "police/a.csv", b"already archived")
    with pytest.raises(ObjectExists):
        store.move("landing", "police/a.csv", "archive", "police/a.csv", overwrite=False)
    assert store.read_bytes("landing", "police/a.csv") == b"new delivery"
    assert store.read_bytes("archive", "police/a.csv") == b"already archived"


def test_move_onto_itself_keeps_the_object(store: Store) -> None:
    store.write_bytes("landing", "a.csv", b"x")
    store.move("landing", "a.csv", "landing", "a.csv")
    assert store.read_bytes("landing", "a.csv") == b"x"


def test_move_overwrites_by_default(store: Store) -> None:
    store.write_bytes("landing", "a.csv", b"newer")
    store.write_bytes("quarantine", "a.csv", b"older")
    store.move("landing", "a.csv", "quarantine", "a.csv")
    assert store.read_bytes("quarantine", "a.csv") == b"newer"


def test_delete(store: Store) -> None:
    store.write_bytes("reports", "r.txt", b"x")
    store.delete("reports", "r.txt")
    assert not store.exists("reports", "r.txt")
    store.delete("reports", "r.txt", missing_ok=True)
    with pytest.raises(ObjectNotFound, match="'r.txt'.*'reports'"):
        store.delete("reports", "r.txt")


@pytest.mark.parametrize(
    "action",
    [
        lambda s, tmp: s.read_bytes("landing", "police/missing.csv"),
        lambda s, tmp: s.info("landing", "police/missing.csv"),
        lambda s, tmp: s.download_to("landing", "police/missing.csv", tmp / "x"),
        lambda s, tmp: s.local_file("landing", "police/missing.csv").__enter__(),
        lambda s, tmp: s.move("landing", "police/missing.csv", "archive", "x.csv"),
    ],
    ids=["read_bytes", "info", "download_to", "local_file", "move"],
)
def test_missing_object_error_names_zone_and_path(
    store: Store, tmp_path: Path, action: Callable[[Store, Path], object]
) -> None:
    with pytest.raises(ObjectNotFound) as caught:
        action(store, tmp_path)
    assert "No object 'police/missing.csv' in storage zone 'landing'" in str(caught.value)
    assert isinstance(caught.value, FileNotFoundError)
    assert (caught.value.zone, caught.value.path) == ("landing", "police/missing.csv")
    assert not (tmp_path / "x").exists()  # no truncated download left behind


def test_zones_must_exist_and_ensure_zones_is_idempotent(store: Store, tmp_path: Path) -> None:
    fresh = open_store(
        dataclasses.replace(
            store.settings,
            home=tmp_path / "other-home",
            azure_container_prefix=f"f{uuid.uuid4().hex[:12]}-",
        )
    )
    for action in (
        lambda: fresh.write_bytes("landing", "a.csv", b"x"),
        lambda: fresh.read_bytes("landing", "a.csv"),
        lambda: fresh.exists("landing", "a.csv"),
        lambda: fresh.list("landing"),
    ):
        # A wrong prefix or home must fail loudly, not look like an empty lake.
        with pytest.raises(ZoneNotFound, match="'landing'.*ensure_zones"):
            action()
    fresh.ensure_zones()
    fresh.ensure_zones()
    fresh.write_bytes("landing", "a.csv", b"x")
    assert [i.path for i in fresh.list("landing")] == ["a.csv"]


def test_publish_file_puts_a_snapshot_in_the_warehouse_zone(store: Store) -> None:
    working_copy = store.local_warehouse_path()
    assert working_copy == store.settings.home / "warehouse" / "vrlake.duckdb"
    working_copy.write_bytes(b"duckdb v1")
    store.publish_file("warehouse", "vrlake.duckdb", working_copy)
    assert store.read_bytes("warehouse", "vrlake.duckdb") == b"duckdb v1"
    working_copy.write_bytes(b"duckdb v2")
    store.publish_file("warehouse", "vrlake.duckdb", working_copy)
    assert store.read_bytes("warehouse", "vrlake.duckdb") == b"duckdb v2"


def test_delta_round_trip_with_append(store: Store) -> None:
    uri = store.delta_uri("bronze/police_occurrences")
    options = store.delta_storage_options()
    first = pl.DataFrame({"occurrence_id": [1, 2], "borough": ["A", "B"]})
    second = pl.DataFrame({"occurrence_id": [3], "borough": ["C"]})

    first.write_delta(uri, storage_options=options)
    second.write_delta(uri, mode="append", storage_options=options)

    result = pl.read_delta(uri, storage_options=options).sort("occurrence_id")
    assert result["occurrence_id"].to_list() == [1, 2, 3]
    table = DeltaTable(uri, storage_options=options)
    assert table.version() == 1
    # The table really is in the lake zone, where the store (and its access policy) can see it.
    lake_paths = [info.path for info in store.list("lake", "bronze/police_occurrences/")]
    assert "bronze/police_occurrences/_delta_log/00000000000000000001.json" in lake_paths


def test_describe_and_repr_leak_no_secret(store: Store) -> None:
    for text in (store.describe(), repr(store), repr(store.settings)):
        assert ACCOUNT_KEY not in text
        assert "AccountKey" not in text
    assert store.describe()
