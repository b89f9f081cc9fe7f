"""Local-backend specifics that the shared backend tests cannot express."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import LocalStore, StorageSettings
from storage.local import TMP_PREFIX


@pytest.fixture
def local(tmp_path: Path) -> LocalStore:
    store = LocalStore(StorageSettings(home=tmp_path))
    store.ensure_zones()
    return store


def test_zones_are_folders_under_home(local: LocalStore, tmp_path: Path) -> None:
    local.write_text("landing", "police/a.csv", "id\n1\n")
    assert (tmp_path / "landing" / "police" / "a.csv").read_text() == "id\n1\n"


def test_local_file_is_the_stored_file_itself(local: LocalStore, tmp_path: Path) -> None:
    local.write_bytes("landing", "police/a.csv", b"x")
    with local.local_file("landing", "police/a.csv") as path:
        assert path == tmp_path / "landing" / "police" / "a.csv"
    assert path.exists()  # not a temporary copy: nothing is deleted afterwards


def test_half_written_temporary_files_are_not_listed(local: LocalStore, tmp_path: Path) -> None:
    # A sensor must never pick up a file while it is still being written.
    (tmp_path / "landing" / f"{TMP_PREFIX}abc").write_bytes(b"partial")
    local.write_bytes("landing", "done.csv", b"complete")
    assert [info.path for info in local.list("landing")] == ["done.csv"]


def test_publishing_the_warehouse_onto_itself_does_not_truncate_it(local: LocalStore) -> None:
    warehouse = local.local_warehouse_path()
    warehouse.write_bytes(b"duckdb-bytes")
    info = local.publish_file("warehouse", "vrlake.duckdb", warehouse)
    assert info.size == len(b"duckdb-bytes")
    assert warehouse.read_bytes() == b"duckdb-bytes"


def test_emptied_partner_folders_are_kept(local: LocalStore, tmp_path: Path) -> None:
    local.write_bytes("landing", "police/a.csv", b"x")
    local.move("landing", "police/a.csv", "archive", "police/a.csv")
    assert (tmp_path / "landing" / "police").is_dir()


def test_new_files_are_private_to_the_owner(local: LocalStore, tmp_path: Path) -> None:
    local.write_bytes("landing", "a.csv", b"x")
    assert (tmp_path / "landing" / "a.csv").stat().st_mode & 0o077 == 0
