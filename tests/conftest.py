"""Shared test fixtures: the Azurite emulator and a ``store`` fixture that runs on both storage backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import StorageSettings, Store, open_store
from tests.azurite import AzuriteInfo, azurite_settings, run_azurite


@pytest.fixture(scope="session")
def azurite(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AzuriteInfo]:
    """One Azurite blob service for the whole session, on a free loopback port, stopped at the end.

    Started only when a test asks for it, so ``-m "not azurite"`` runs need no Node.js.
    """
    with run_azurite(pytestconfig.rootpath, tmp_path_factory.mktemp("azurite")) as info:
        yield info


@pytest.fixture(params=["local", pytest.param("azure", marks=pytest.mark.azurite)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """A ready :class:`~storage.Store` (zones created) on the local backend or on Azurite.

    Tests that take this fixture run once per backend with the same body, which is how the two backends
    are kept interchangeable.
    """
    home = tmp_path / "vrlake-home"
    if request.param == "local":
        settings = StorageSettings(backend="local", home=home)
    else:
        settings = azurite_settings(request.getfixturevalue("azurite"), home)
    result = open_store(settings)
    result.ensure_zones()
    return result


TEST_KEY_HEX = "7672 6c61 6b65 2d74 6573 742d 6b65 792d 6e6f 742d 7365 6372 6574 2d30 3132 3334".replace(" ", "")
"""A pseudonymisation key for tests only (hex of ASCII text, 32 bytes); real deployments configure their own."""
STORAGE_ENV_VARS = (
    "VRLAKE_STORAGE_BACKEND", "VRLAKE_AZURE_CONNECTION_STRING", "VRLAKE_AZURE_ACCOUNT_URL",
    "VRLAKE_AZURE_ACCOUNT_KEY", "VRLAKE_AZURE_CONTAINER_PREFIX", "VRLAKE_DEMO_MODE",
)


@pytest.fixture(params=["local", pytest.param("azure", marks=pytest.mark.azurite)])
def vrlake_env(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """The process environment configured as an operator would (either backend), with an initialised lake.

    For tests of code that reads its configuration from the environment: Dagster resources, the CLI.
    """
    from ingestors.lake_init import initialise_lake

    for variable in STORAGE_ENV_VARS:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("VRLAKE_HOME", str(tmp_path / "vrlake-home"))
    monkeypatch.setenv("VRLAKE_PSEUDONYMISATION_KEY", TEST_KEY_HEX)
    if request.param == "azure":
        settings = azurite_settings(request.getfixturevalue("azurite"), tmp_path / "vrlake-home")
        monkeypatch.setenv("VRLAKE_AZURE_CONNECTION_STRING", settings.azure_connection_string or "")
        monkeypatch.setenv("VRLAKE_AZURE_CONTAINER_PREFIX", settings.azure_container_prefix)
        monkeypatch.setenv("VRLAKE_AZURE_MAX_RETRIES", "1")
    result = open_store(StorageSettings.from_env())
    initialise_lake(result)
    return result
