"""StorageSettings.from_env: the one place that turns environment variables into a backend choice."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import ENV_VARS, StorageConfigError, StorageSettings

KEY = "c2VjcmV0LWtleS10aGF0LW11c3Qtbm90LWxlYWs="
CONNECTION_STRING = (
    f"DefaultEndpointsProtocol=https;AccountName=vrlakeprod;AccountKey={KEY};EndpointSuffix=core.windows.net"
)
ACCOUNT_URL = "https://vrlakeprod.blob.core.windows.net"


def test_no_variables_means_local_storage_in_dot_vrlake(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = StorageSettings.from_env({})
    assert settings.backend == "local"
    assert settings.azure_auth is None
    # Made absolute when read, so a later chdir cannot move the lake.
    assert settings.home == tmp_path / ".vrlake"


def test_vrlake_home_sets_the_local_folder(tmp_path: Path) -> None:
    settings = StorageSettings.from_env({"VRLAKE_HOME": str(tmp_path / "lake-home")})
    assert settings.home == tmp_path / "lake-home"


def test_connection_string_selects_azure() -> None:
    settings = StorageSettings.from_env({"VRLAKE_AZURE_CONNECTION_STRING": CONNECTION_STRING})
    assert settings.backend == "azure"
    assert settings.azure_auth == "connection_string"


def test_account_url_and_key_select_azure_with_shared_key() -> None:
    settings = StorageSettings.from_env(
        {"VRLAKE_AZURE_ACCOUNT_URL": ACCOUNT_URL, "VRLAKE_AZURE_ACCOUNT_KEY": KEY}
    )
    assert (settings.backend, settings.azure_auth) == ("azure", "account_key")


def test_account_url_without_key_uses_default_credential() -> None:
    settings = StorageSettings.from_env({"VRLAKE_AZURE_ACCOUNT_URL": ACCOUNT_URL})
    assert (settings.backend, settings.azure_auth) == ("azure", "default_credential")


def test_explicit_local_backend_wins_over_azure_variables() -> None:
    env = {"VRLAKE_STORAGE_BACKEND": "LOCAL", "VRLAKE_AZURE_CONNECTION_STRING": CONNECTION_STRING}
    assert StorageSettings.from_env(env).backend == "local"


def test_empty_values_count_as_unset() -> None:
    env = {"VRLAKE_AZURE_CONNECTION_STRING": "", "VRLAKE_AZURE_ACCOUNT_URL": "  ", "VRLAKE_HOME": ""}
    assert StorageSettings.from_env(env).backend == "local"


def test_container_prefix_and_retries_are_read() -> None:
    env = {
        "VRLAKE_AZURE_CONNECTION_STRING": CONNECTION_STRING,
        "VRLAKE_AZURE_CONTAINER_PREFIX": "dev-",
        "VRLAKE_AZURE_MAX_RETRIES": "2",
    }
    settings = StorageSettings.from_env(env)
    assert settings.container_name("landing") == "dev-landing"
    assert settings.azure_max_retries == 2


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"VRLAKE_STORAGE_BACKEND": "azure"}, "VRLAKE_AZURE_CONNECTION_STRING"),
        ({"VRLAKE_STORAGE_BACKEND": "s3"}, "Unknown storage backend"),
        (
            {"VRLAKE_AZURE_CONNECTION_STRING": CONNECTION_STRING, "VRLAKE_AZURE_ACCOUNT_URL": ACCOUNT_URL},
            "not both",
        ),
        (
            {"VRLAKE_STORAGE_BACKEND": "azure", "VRLAKE_AZURE_ACCOUNT_KEY": KEY},
            "needs VRLAKE_AZURE_ACCOUNT_URL",
        ),
        ({"VRLAKE_AZURE_ACCOUNT_URL": "vrlakeprod.blob.core.windows.net"}, "http"),
        (
            {"VRLAKE_AZURE_CONNECTION_STRING": CONNECTION_STRING, "VRLAKE_AZURE_CONTAINER_PREFIX": "Dev_"},
            "VRLAKE_AZURE_CONTAINER_PREFIX",
        ),
        (
            {"VRLAKE_AZURE_CONNECTION_STRING": CONNECTION_STRING, "VRLAKE_AZURE_MAX_RETRIES": "many"},
            "integer",
        ),
    ],
)
def test_invalid_configuration_names_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(StorageConfigError, match=message) as caught:
        StorageSettings.from_env(env)
    assert KEY not in str(caught.value)


def test_from_env_reads_the_process_environment_when_called(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    assert StorageSettings.from_env().backend == "local"
    monkeypatch.setenv("VRLAKE_AZURE_CONNECTION_STRING", CONNECTION_STRING)
    assert StorageSettings.from_env().backend == "azure"


def test_repr_hides_secrets() -> None:
    for settings in (
        StorageSettings.from_env({"VRLAKE_AZURE_CONNECTION_STRING": CONNECTION_STRING}),
        StorageSettings.from_env({"VRLAKE_AZURE_ACCOUNT_URL": ACCOUNT_URL, "VRLAKE_AZURE_ACCOUNT_KEY": KEY}),
        StorageSettings.from_env({"VRLAKE_AZURE_ACCOUNT_URL": f"{ACCOUNT_URL}?sv=2024&sig=SASSIGNATURE"}),
    ):
        text = repr(settings)
        assert KEY not in text
        assert "AccountKey" not in text
        assert "SASSIGNATURE" not in text


def test_settings_are_immutable() -> None:
    settings = StorageSettings()
    with pytest.raises(AttributeError):
        settings.backend = "azure"  # type: ignore[misc]
