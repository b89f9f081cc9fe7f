"""Azure behaviour with no local counterpart: folder markers, copy fallback, content MD5, containers."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from azure.core.exceptions import HttpResponseError
from azure.storage.blob import BlobClient, BlobServiceClient

from storage import ZONES, StorageError, open_store
from storage.azure import AzureStore
from tests.azurite import AzuriteInfo, azurite_settings

pytestmark = pytest.mark.azurite


@pytest.fixture
def azure_store(azurite: AzuriteInfo, tmp_path: Path) -> AzureStore:
    store = open_store(azurite_settings(azurite, tmp_path / "home"))
    assert isinstance(store, AzureStore)
    store.ensure_zones()
    return store


def test_zones_are_prefixed_containers(azure_store: AzureStore, azurite: AzuriteInfo) -> None:
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    prefix = azure_store.settings.azure_container_prefix
    names = {c.name for c in service.list_containers(name_starts_with=prefix)}
    assert names == {f"{prefix}{zone}" for zone in ZONES}


def test_data_lake_folder_markers_are_not_listed(azure_store: AzureStore, azurite: AzuriteInfo) -> None:
    # Hierarchical-namespace accounts list folders as empty blobs flagged hdi_isfolder; partners' drop
    # folders must not look like files to ingestion.
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    container = azure_store.settings.container_name("landing")
    service.get_blob_client(container, "police").upload_blob(b"", metadata={"hdi_isfolder": "true"})
    azure_store.write_bytes("landing", "police/a.csv", b"x")
    assert [info.path for info in azure_store.list("landing")] == ["police/a.csv"]


def test_uploaded_blobs_record_their_md5(azure_store: AzureStore, tmp_path: Path) -> None:
    source = tmp_path / "f.csv"
    source.write_bytes(b"a,b\n1,2\n")
    azure_store.upload_file("landing", "f.csv", source)
    [info] = azure_store.list("landing")
    assert info.content_md5 == hashlib.md5(b"a,b\n1,2\n").hexdigest()


def test_move_falls_back_to_a_client_copy_when_the_service_cannot_read_the_source(
    azure_store: AzureStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With token (managed identity) credentials the service may refuse to read the copy source itself.
    def refuse(self: BlobClient, *args: object, **kwargs: object) -> None:
        error = HttpResponseError(message="Server failed to authenticate the copy source")
        error.error_code = "CannotVerifyCopySource"
        raise error

    monkeypatch.setattr(BlobClient, "start_copy_from_url", refuse)
    azure_store.write_bytes("landing", "police/a.csv", b"payload")
    azure_store.move("landing", "police/a.csv", "archive", "police/a.csv")
    assert azure_store.read_bytes("archive", "police/a.csv") == b"payload"
    assert not azure_store.exists("landing", "police/a.csv")


def test_failing_copy_keeps_the_source(azure_store: AzureStore, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(self: BlobClient, *args: object, **kwargs: object) -> None:
        error = HttpResponseError(message="Internal error")
        error.error_code = "InternalError"
        raise error

    monkeypatch.setattr(BlobClient, "start_copy_from_url", fail)
    azure_store.write_bytes("landing", "police/a.csv", b"payload")
    with pytest.raises(StorageError, match="copy to 'police/a.csv' in storage zone 'archive'"):
        azure_store.move("landing", "police/a.csv", "archive", "police/a.csv")
    assert azure_store.read_bytes("landing", "police/a.csv") == b"payload"
    assert not azure_store.exists("archive", "police/a.csv")
