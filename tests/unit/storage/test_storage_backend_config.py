"""Backend selection, Delta options and secret-free descriptions, without any network traffic."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from azure.core.credentials import AccessToken

from storage import (
    LocalStore,
    ObjectNotFound,
    StorageError,
    StorageSettings,
    ZoneNotFound,
    open_store,
)
from storage.azure import AzureStore, parse_connection_string

KEY = "c2VjcmV0LWtleS10aGF0LW11c3Qtbm90LWxlYWs="
AZURITE_STYLE = (
    f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={KEY};"
    "BlobEndpoint=http://127.0.0.1:19999/devstoreaccount1;"
)
PROD_URL = "https://vrlakeprod.blob.core.windows.net"


class FakeCredential:
    """Stands in for DefaultAzureCredential: hands out a fixed token and records the scopes asked for."""

    def __init__(self) -> None:
        self.scopes: list[str] = []

    def get_token(self, *scopes: str, **_: object) -> AccessToken:
        self.scopes.extend(scopes)
        return AccessToken("fake-bearer-token", 2_000_000_000)


def azure(home: Path, **fields: object) -> StorageSettings:
    return StorageSettings(backend="azure", home=home, **fields)  # type: ignore[arg-type]


def test_open_store_picks_the_backend_from_settings(tmp_path: Path) -> None:
    assert isinstance(open_store(StorageSettings(home=tmp_path)), LocalStore)
    assert isinstance(open_store(azure(tmp_path, azure_connection_string=AZURITE_STYLE)), AzureStore)


def test_open_store_defaults_to_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VRLAKE_HOME", str(tmp_path))
    monkeypatch.delenv("VRLAKE_STORAGE_BACKEND", raising=False)
    monkeypatch.setenv("VRLAKE_AZURE_CONNECTION_STRING", AZURITE_STYLE)
    monkeypatch.setenv("VRLAKE_AZURE_CONTAINER_PREFIX", "ci-")
    store = open_store()
    assert isinstance(store, AzureStore)
    assert store.delta_uri("bronze/x") == "az://ci-lake/bronze/x"


def test_connection_string_values_keep_their_equals_signs() -> None:
    fields = parse_connection_string(AZURITE_STYLE)
    assert fields["accountkey"] == KEY
    assert fields["blobendpoint"] == "http://127.0.0.1:19999/devstoreaccount1"


def test_azurite_delta_options_use_the_endpoint_not_use_emulator(tmp_path: Path) -> None:
    # Regression: use_emulator=true makes deltalake ignore the endpoint and dial port 10000, so an Azurite on
    # any other port (as in these tests) was unreachable.
    options = open_store(azure(tmp_path, azure_connection_string=AZURITE_STYLE)).delta_storage_options()
    assert options == {
        "account_name": "devstoreaccount1",
        "account_key": KEY,
        "endpoint": "http://127.0.0.1:19999/devstoreaccount1",
        "allow_http": "true",
    }


def test_public_azure_with_key_needs_no_endpoint_or_http(tmp_path: Path) -> None:
    store = open_store(azure(tmp_path, azure_account_url=PROD_URL, azure_account_key=KEY))
    assert store.delta_storage_options() == {"account_name": "vrlakeprod", "account_key": KEY}
    assert store.delta_uri("bronze/police_occurrences") == "az://lake/bronze/police_occurrences"


def test_keyless_azure_gives_deltalake_a_token_from_the_same_credential(tmp_path: Path) -> None:
    credential = FakeCredential()
    store = AzureStore(azure(tmp_path, azure_account_url=PROD_URL), credential=credential)
    options = store.delta_storage_options()
    assert options == {"account_name": "vrlakeprod", "bearer_token": "fake-bearer-token"}
    assert credential.scopes == ["https://storage.azure.com/.default"]


def test_sas_in_account_url_is_used_for_delta_and_hidden_from_describe(tmp_path: Path) -> None:
    store = open_store(azure(tmp_path, azure_account_url=f"{PROD_URL}?sv=2024-01-01&sig=SASSIGNATURE"))
    assert store.delta_storage_options()["sas_token"] == "sv=2024-01-01&sig=SASSIGNATURE"
    assert "SASSIGNATURE" not in store.describe()
    assert "SASSIGNATURE" not in repr(store)


@pytest.mark.parametrize(
    "fields",
    [
        {"azure_connection_string": AZURITE_STYLE},
        {"azure_account_url": PROD_URL, "azure_account_key": KEY},
    ],
)
def test_describe_names_the_account_and_containers_but_no_secret(
    tmp_path: Path, fields: dict[str, str]
) -> None:
    store = open_store(azure(tmp_path, azure_container_prefix="dev-", **fields))
    text = store.describe()
    assert KEY not in text and "AccountKey" not in text and KEY not in repr(store)
    assert "dev-landing" in text and "dev-lake" in text
    assert str(tmp_path / "warehouse") in text


def test_warehouse_working_copy_is_local_on_both_backends(tmp_path: Path) -> None:
    expected = tmp_path / "warehouse" / "vrlake.duckdb"
    for store in (
        open_store(StorageSettings(home=tmp_path)),
        open_store(azure(tmp_path, azure_connection_string=AZURITE_STYLE)),
    ):
        assert store.local_warehouse_path() == expected
        assert expected.parent.is_dir()


@pytest.mark.parametrize("table_path", ["../outside", "/abs", "bronze/"])
def test_delta_uri_rejects_paths_outside_the_lake(tmp_path: Path, table_path: str) -> None:
    with pytest.raises(ValueError):
        open_store(StorageSettings(home=tmp_path)).delta_uri(table_path)


def test_unreachable_account_gives_a_storage_error_naming_zone_and_path(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port once the socket closes: every request is refused immediately.
    settings = azure(
        tmp_path,
        azure_connection_string=AZURITE_STYLE.replace("19999", str(port)),
        azure_max_retries=0,
    )
    with pytest.raises(StorageError) as caught:
        open_store(settings).read_bytes("landing", "police/x.csv")
    message = str(caught.value)
    assert "'police/x.csv'" in message and "'landing'" in message
    assert KEY not in message
    assert not isinstance(caught.value, ObjectNotFound)


def test_local_store_requires_zones_to_exist(tmp_path: Path) -> None:
    store = open_store(StorageSettings(home=tmp_path))
    with pytest.raises(ZoneNotFound, match="ensure_zones"):
        store.write_bytes("landing", "a.csv", b"x")
