"""Partner drop-zone links against Azurite: create-only and expiring; and the `vrlake drop` uploader.

Azurite enforces SAS permissions and expiry like Azure does, so these tests prove what a partner holding a
link can and cannot do. They also pin the known limit of a container SAS on plain Blob storage (it is not
confined to the partner's prefix; see storage/partner_access.py) so that a change there is noticed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import typer
from azure.core.exceptions import HttpResponseError
from azure.storage.blob import BlobClient, ContainerClient
from typer.testing import CliRunner

from storage import LANDING, StorageConfigError, StorageSettings, Store, open_store
from storage.partner_access import (
    UPLOAD_CHUNK_BYTES,
    DropExists,
    SasExpired,
    SasForbidden,
    mint_partner_sas,
    upload_with_sas,
    upload_with_store,
)
from tests.azurite import AzuriteInfo, azurite_settings
from tests.ingestion_helpers import nominals_csv
from vrlake.commands import drop, partner_sas

pytestmark = pytest.mark.azurite

PROBATION_FILE = "probation/probation_caseload_2026-10.jsonl"
SECRET = b'{"crn": "X123456"}\n'


@pytest.fixture
def lake(azurite: AzuriteInfo, tmp_path: Path) -> Store:
    """An Azurite-backed store with zones created and another partner's delivery already waiting."""
    store = open_store(azurite_settings(azurite, tmp_path / "home"))
    store.ensure_zones()
    store.write_bytes(LANDING, PROBATION_FILE, SECRET)
    return store


@pytest.fixture
def police_file(tmp_path: Path) -> Path:
    path = tmp_path / "police_nominals_2026-11.csv"
    path.write_text(nominals_csv(3), encoding="utf-8")
    return path


def landing_container(lake: Store, sas_url: str) -> ContainerClient:
    return ContainerClient.from_container_url(sas_url)


def refused(call) -> HttpResponseError:
    with pytest.raises(HttpResponseError) as info:
        call()
    assert info.value.status_code == 403, info.value
    return info.value


def test_link_creates_a_file_in_the_partners_drop_zone_with_its_content_hash(
    lake: Store, police_file: Path
) -> None:
    sas = mint_partner_sas(lake.settings, "police", 7)
    calls: list[tuple[int, int]] = []

    receipt = upload_with_sas(
        sas.url, "police", police_file, progress=lambda sent, total: calls.append((sent, total))
    )

    assert receipt.path == "police/police_nominals_2026-11.csv"
    assert lake.read_bytes(LANDING, receipt.path) == police_file.read_bytes()
    # The drop-zone sensor's run key uses the content MD5: a SAS upload must record it.
    assert lake.info(LANDING, receipt.path).content_md5 == receipt.content_md5
    assert calls[-1] == (police_file.stat().st_size, police_file.stat().st_size)
    assert sas.scope == "container" and "&sp=c&" in f"&{sas.url.split('?', 1)[1]}&", (
        "create only: no r, a, w, d, l, t"
    )


def test_link_cannot_read_list_delete_or_overwrite(lake: Store, police_file: Path) -> None:
    sas = mint_partner_sas(lake.settings, "police", 7)
    container = landing_container(lake, sas.url)
    upload_with_sas(sas.url, "police", police_file)
    own = container.get_blob_client("police/police_nominals_2026-11.csv")
    other = container.get_blob_client(PROBATION_FILE)

    refused(lambda: other.download_blob().readall())  # read another partner's file
    refused(lambda: own.download_blob().readall())  # read its own delivery back
    refused(lambda: other.get_blob_properties())
    refused(lambda: list(container.list_blobs()))
    refused(lambda: list(container.list_blobs(name_starts_with="police/")))
    refused(lambda: other.delete_blob())
    refused(lambda: own.delete_blob())
    refused(lambda: other.upload_blob(b"overwritten", overwrite=True))
    refused(lambda: other.set_blob_metadata({"tampered": "yes"}))
    refused(lambda: other.stage_block("YmxvY2s=", b"x") or other.commit_block_list(["YmxvY2s="]))

    assert lake.read_bytes(LANDING, PROBATION_FILE) == SECRET
    assert lake.read_bytes(LANDING, "police/police_nominals_2026-11.csv") == police_file.read_bytes()


def test_uploader_never_overwrites_an_earlier_delivery(
    lake: Store, police_file: Path, tmp_path: Path
) -> None:
    sas = mint_partner_sas(lake.settings, "police", 7)
    upload_with_sas(sas.url, "police", police_file)
    changed = tmp_path / "changed" / police_file.name
    changed.parent.mkdir()
    changed.write_text(nominals_csv(5), encoding="utf-8")

    with pytest.raises(DropExists, match="already delivered"):
        upload_with_sas(sas.url, "police", changed)
    with pytest.raises(DropExists):
        upload_with_store(lake, "police", changed)

    assert lake.read_bytes(LANDING, f"police/{police_file.name}") == police_file.read_bytes()


def test_expired_link_is_refused_by_the_service_and_by_the_uploader(lake: Store, police_file: Path) -> None:
    three_days_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    sas = mint_partner_sas(lake.settings, "police", 1, now=three_days_ago)
    assert sas.expires_at < dt.datetime.now(dt.UTC)

    # The uploader says so before sending anything...
    with pytest.raises(SasExpired, match="expired"):
        upload_with_sas(sas.url, "police", police_file)
    # ...and the service refuses it even when the client does not check (clock pretending it is still valid).
    with pytest.raises(SasForbidden):
        upload_with_sas(sas.url, "police", police_file, now=three_days_ago)
    refused(lambda: landing_container(lake, sas.url).upload_blob("police/direct.csv", b"x"))
    assert lake.list(LANDING, "police/") == []


def test_per_file_link_creates_exactly_one_name(lake: Store, police_file: Path) -> None:
    sas = mint_partner_sas(lake.settings, "police", 2, file_name="police_nominals_2026-11.csv")
    assert sas.scope == "blob" and sas.blob_name == "police/police_nominals_2026-11.csv"
    container_url = sas.url.split("/police/", 1)[0]
    token = sas.url.split("?", 1)[1]

    refused(lambda: BlobClient.from_blob_url(f"{container_url}/police/other.csv?{token}").upload_blob(b"x"))
    refused(lambda: BlobClient.from_blob_url(f"{container_url}/probation/x.jsonl?{token}").upload_blob(b"x"))
    with pytest.raises(SasForbidden, match="not for the health drop zone"):
        upload_with_sas(sas.url, "health", police_file)

    receipt = upload_with_sas(sas.url, "police", police_file, name="ignored-the-link-names-the-file.csv")
    assert receipt.path == "police/police_nominals_2026-11.csv"
    assert [o.path for o in lake.list(LANDING, "police/")] == [receipt.path]


def test_residual_risk_a_container_link_can_create_under_another_partners_prefix(lake: Store) -> None:
    """Known limit of plain Blob storage (no prefix-scoped SAS): documented in storage/partner_access.py and
    docs/deployment.md. If this starts failing, the scoping got stronger: update the docs and this test."""
    sas = mint_partner_sas(lake.settings, "police", 1)
    landing_container(lake, sas.url).upload_blob("probation/not_from_probation.jsonl", b"{}\n")
    assert lake.exists(LANDING, "probation/not_from_probation.jsonl")
    # It still cannot touch probation's own delivery.
    assert lake.read_bytes(LANDING, PROBATION_FILE) == SECRET


def test_large_file_streams_in_chunks_with_progress(lake: Store, tmp_path: Path) -> None:
    big = tmp_path / "ed_attendances_2026-11.csv"
    big.write_bytes(b"0123456789abcdef" * (UPLOAD_CHUNK_BYTES // 16) * 2 + b"tail\n")
    calls: list[int] = []
    sas = mint_partner_sas(lake.settings, "health", 1)

    upload_with_sas(sas.url, "health", big, progress=lambda sent, total: calls.append(sent))

    assert len(calls) >= 3 and calls == sorted(calls) and calls[-1] == big.stat().st_size
    assert lake.info(LANDING, f"health/{big.name}").size == big.stat().st_size


class UnusedCredential:
    """A token credential that fails the test if anything asks it for a token."""

    def get_token(self, *scopes: str, **kwargs: object) -> object:
        raise AssertionError("no token should be requested")


def test_minting_refuses_what_it_cannot_do_safely(lake: Store, tmp_path: Path) -> None:
    with pytest.raises(StorageConfigError, match="local backend"):
        mint_partner_sas(StorageSettings(backend="local", home=tmp_path), "police", 7)
    with pytest.raises(StorageConfigError, match="at most 365 days"):
        mint_partner_sas(lake.settings, "police", 400)
    with pytest.raises(StorageConfigError, match="more than 0"):
        mint_partner_sas(lake.settings, "police", 0)
    with pytest.raises(ValueError, match="Invalid partner"):
        mint_partner_sas(lake.settings, "../lake", 7)
    with pytest.raises(ValueError, match="must not contain folders"):
        mint_partner_sas(lake.settings, "police", 7, file_name="../../lake/x.csv")
    # Managed identity signs with a user delegation key, which Azure caps at 7 days: refused before any call.
    keyless = StorageSettings(
        backend="azure", home=tmp_path, azure_account_url="https://acct.blob.core.windows.net"
    )
    with pytest.raises(StorageConfigError, match="7 days"):
        mint_partner_sas(keyless, "police", 30, credential=UnusedCredential())


def test_link_can_be_limited_to_the_partners_network(lake: Store) -> None:
    # Enforced by Azure (AuthorizationSourceIPMismatch); Azurite ignores it, so only the token is checked.
    sas = mint_partner_sas(lake.settings, "police", 1, ip_range="203.0.113.0-203.0.113.255")
    assert "sip=203.0.113.0-203.0.113.255" in sas.url


# --- the commands, as the lead registers them in vrlake/cli.py ----------------------------------------------
def cli() -> typer.Typer:
    app = typer.Typer()
    app.command("partner-sas")(partner_sas.command)
    app.command("drop")(drop.command)
    return app


@pytest.fixture
def azure_env(lake: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    for variable in (
        "VRLAKE_STORAGE_BACKEND",
        "VRLAKE_AZURE_ACCOUNT_URL",
        "VRLAKE_AZURE_ACCOUNT_KEY",
        "VRLAKE_DROP_SAS",
    ):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("VRLAKE_HOME", str(lake.settings.home))
    monkeypatch.setenv("VRLAKE_AZURE_CONNECTION_STRING", lake.settings.azure_connection_string or "")
    monkeypatch.setenv("VRLAKE_AZURE_CONTAINER_PREFIX", lake.settings.azure_container_prefix)
    return lake


def test_partner_sas_and_drop_commands_deliver_a_file_as_a_partner_would(
    azure_env: Store, police_file: Path
) -> None:
    runner = CliRunner()
    minted = runner.invoke(cli(), ["partner-sas", "--partner", "police", "--days", "3"])
    assert minted.exit_code == 0, minted.output
    url = minted.stdout.strip()
    assert url.startswith("http") and "sig=" in url and "\n" not in url, "stdout carries the URL alone"
    assert azure_env.settings.azure_connection_string
    account_key = azure_env.settings.azure_connection_string.split("AccountKey=")[1].split(";")[0]
    assert account_key not in minted.output and account_key not in minted.stderr

    dropped = runner.invoke(cli(), ["drop", "--partner", "police", str(police_file), "--sas", url])
    assert dropped.exit_code == 0, dropped.output
    assert "Delivered" in dropped.output
    assert azure_env.exists(LANDING, f"police/{police_file.name}")

    again = runner.invoke(
        cli(), ["drop", "--partner", "police", str(police_file)], env={"VRLAKE_DROP_SAS": url}
    )
    assert again.exit_code == 1 and "already delivered" in again.output
    assert "sig=" not in again.output, "the link's token never appears in messages"


def test_drop_command_gives_clear_errors(azure_env: Store, police_file: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    unknown = runner.invoke(cli(), ["drop", "--partner", "fire", str(police_file)])
    assert unknown.exit_code == 2 and "Unknown partner 'fire'" in unknown.output
    missing = runner.invoke(cli(), ["drop", "--partner", "police", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2 and "No such file" in missing.output

    expired = mint_partner_sas(
        azure_env.settings, "police", 1, now=dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    )
    result = runner.invoke(cli(), ["drop", "--partner", "police", str(police_file), "--sas", expired.url])
    assert result.exit_code == 1 and "expired" in result.output

    tampered = mint_partner_sas(azure_env.settings, "police", 1).url.replace("sp=c", "sp=rcwdl")
    result = runner.invoke(cli(), ["drop", "--partner", "police", str(police_file), "--sas", tampered])
    assert result.exit_code == 1 and "refused" in result.output
    assert azure_env.list(LANDING, "police/") == []

    unknown_sas = runner.invoke(cli(), ["partner-sas", "--partner", "fire"])
    assert unknown_sas.exit_code == 2 and "Unknown partner" in unknown_sas.output


def test_drop_without_a_link_uses_the_configured_store_on_the_local_backend(
    tmp_path: Path, police_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in (
        "VRLAKE_STORAGE_BACKEND",
        "VRLAKE_AZURE_CONNECTION_STRING",
        "VRLAKE_AZURE_ACCOUNT_URL",
        "VRLAKE_AZURE_CONTAINER_PREFIX",
        "VRLAKE_DROP_SAS",
    ):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("VRLAKE_HOME", str(tmp_path / "home"))
    store = open_store(StorageSettings.from_env())
    store.ensure_zones()

    result = CliRunner().invoke(cli(), ["drop", "--partner", "police", str(police_file)])

    assert result.exit_code == 0, result.output
    assert store.read_bytes(LANDING, f"police/{police_file.name}") == police_file.read_bytes()
    minted = CliRunner().invoke(cli(), ["partner-sas", "--partner", "police"])
    assert minted.exit_code == 1 and "local" in minted.output and "backend" in minted.output
