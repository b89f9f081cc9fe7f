"""Run the Azurite blob emulator for tests: a real Azure Storage API on a free loopback port.

Used by the ``azurite`` session fixture in ``tests/conftest.py``; importable by any test
(``from tests.azurite import AzuriteInfo, azurite_settings``) to get an isolated AzureStore. Needs
``npm install`` at the repository root (Azurite is pinned in ``package.json``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from storage import StorageSettings

# Azurite's published development account. Public by design (it is in Microsoft's docs), never a secret.
ACCOUNT_NAME: Final = "devstoreaccount1"
ACCOUNT_KEY: Final = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
HOST: Final = "127.0.0.1"
STARTUP_TIMEOUT_S: Final = 30.0
STOP_TIMEOUT_S: Final = 10.0


@dataclass(frozen=True)
class AzuriteInfo:
    """How to reach a running Azurite blob service."""

    host: str
    port: int
    account_name: str
    account_key: str

    @property
    def blob_endpoint(self) -> str:
        """Path-style endpoint (the account name is the first path segment, as Azurite requires)."""
        return f"http://{self.host}:{self.port}/{self.account_name}"

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={self.account_name};"
            f"AccountKey={self.account_key};BlobEndpoint={self.blob_endpoint};"
        )


def azurite_binary(repo_root: Path) -> Path:
    """Path of ``azurite-blob`` installed by ``npm install``; raises with the fix if it is missing."""
    binary = repo_root / "node_modules" / ".bin" / "azurite-blob"
    if not binary.exists():
        raise RuntimeError(f"{binary} not found: run `npm install` in {repo_root} to install Azurite")
    return binary


def free_port(host: str = HOST) -> int:
    """A port that was free a moment ago (the OS picks it); Azurite binds it right after."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _answers(info: AzuriteInfo) -> bool:
    """True once the blob service answers HTTP (any status: an unauthenticated 403 proves it is up)."""
    try:
        with urllib.request.urlopen(f"{info.blob_endpoint}?comp=list", timeout=1):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate Azurite's whole process group (node may spawn children), escalating to SIGKILL."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_S)
    except ProcessLookupError:
        pass


@contextmanager
def run_azurite(repo_root: Path, location: Path, *, attempts: int = 3) -> Iterator[AzuriteInfo]:
    """Start Azurite's blob service with its data in ``location``; yield connection details; stop it.

    Retries on a fresh port if the chosen one was taken between choosing and binding. The process runs
    in its own session so teardown can signal the whole group and leave no orphaned node process.
    """
    binary = azurite_binary(repo_root)
    location.mkdir(parents=True, exist_ok=True)
    log_path = location / "azurite.log"
    for attempt in range(1, attempts + 1):
        info = AzuriteInfo(host=HOST, port=free_port(), account_name=ACCOUNT_NAME, account_key=ACCOUNT_KEY)
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [
                    str(binary),
                    "--silent",
                    "--disableTelemetry",
                    "--location",
                    str(location),
                    "--blobHost",
                    info.host,
                    "--blobPort",
                    str(info.port),
                    "--skipApiVersionCheck",
                    "--loose",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while process.poll() is None and time.monotonic() < deadline and not _answers(info):
                time.sleep(0.1)
            if process.poll() is None and _answers(info):
                yield info
                return
            if process.poll() is not None and attempt < attempts:
                continue  # most likely lost the port race: try another port
            output = log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"Azurite did not start on {info.blob_endpoint}; log tail:\n{output}")
        finally:
            _stop(process)
    raise RuntimeError("unreachable")  # every iteration either yields, continues or raises


def azurite_settings(info: AzuriteInfo, home: Path) -> StorageSettings:
    """Azure settings for Azurite with a container prefix unique to the caller, so tests never share data."""
    return StorageSettings(
        backend="azure",
        home=home,
        azure_connection_string=info.connection_string,
        azure_container_prefix=f"t{uuid.uuid4().hex[:12]}-",
        # Azurite is local: a failure is a bug, not a blip, so fail fast instead of backing off.
        azure_max_retries=1,
    )
