"""Storage configuration: the one place that reads environment variables for storage.

Nothing here runs at import time; call :meth:`StorageSettings.from_env` when a process (CLI command, Dagster
resource, test) actually needs storage. The backend is chosen by configuration only:

==================================  ==================================================================
``VRLAKE_HOME``                     Local folder (default ``./.vrlake``). Local backend: holds every zone.
                                    Azure backend: holds the DuckDB working copy (``warehouse/``).
``VRLAKE_STORAGE_BACKEND``          ``local`` or ``azure``. Optional: when unset, ``azure`` is chosen if a
                                    connection string or account URL is set, else ``local``.
``VRLAKE_AZURE_CONNECTION_STRING``  Storage account connection string (account key or SAS inside).
``VRLAKE_AZURE_ACCOUNT_URL``        Blob endpoint, e.g. ``https://<account>.blob.core.windows.net``.
``VRLAKE_AZURE_ACCOUNT_KEY``        Shared key for the account URL. Without it, DefaultAzureCredential
                                    (managed identity, workload identity, Azure CLI...) is used.
``VRLAKE_AZURE_CONTAINER_PREFIX``   Prefix for container names (``<prefix><zone>``), e.g. ``dev-``.
``VRLAKE_AZURE_MAX_RETRIES``        Retries for transient Azure errors (default 5).
==================================  ==================================================================

Empty values count as unset, so ``VAR=`` in a compose file does not switch anything on.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal
from urllib.parse import urlsplit, urlunsplit

from storage.store import StorageConfigError
from storage.zones import ZONES

Backend = Literal["local", "azure"]
AzureAuth = Literal["connection_string", "account_key", "default_credential"]

ENV_HOME: Final = "VRLAKE_HOME"
ENV_BACKEND: Final = "VRLAKE_STORAGE_BACKEND"
ENV_AZURE_CONNECTION_STRING: Final = "VRLAKE_AZURE_CONNECTION_STRING"
ENV_AZURE_ACCOUNT_URL: Final = "VRLAKE_AZURE_ACCOUNT_URL"
ENV_AZURE_ACCOUNT_KEY: Final = "VRLAKE_AZURE_ACCOUNT_KEY"
ENV_AZURE_CONTAINER_PREFIX: Final = "VRLAKE_AZURE_CONTAINER_PREFIX"
ENV_AZURE_MAX_RETRIES: Final = "VRLAKE_AZURE_MAX_RETRIES"

ENV_VARS: Final = (
    ENV_HOME,
    ENV_BACKEND,
    ENV_AZURE_CONNECTION_STRING,
    ENV_AZURE_ACCOUNT_URL,
    ENV_AZURE_ACCOUNT_KEY,
    ENV_AZURE_CONTAINER_PREFIX,
    ENV_AZURE_MAX_RETRIES,
)
"""Every environment variable storage reads (for documentation and for tests that clear them)."""

DEFAULT_HOME: Final = ".vrlake"
DEFAULT_AZURE_MAX_RETRIES: Final = 5

# Azure's container naming rule: 3-63 chars, lower-case letters, digits and single hyphens, starting and
# ending with a letter or digit. Checked up front so a bad prefix fails at configuration, not mid-run.
_CONTAINER_NAME = re.compile(r"^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9]))*$")


def redact_url(url: str) -> str:
    """Return ``url`` without query string, fragment or user info, which is where SAS tokens and
    passwords hide, so it can be logged or shown."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


@dataclass(frozen=True)
class StorageSettings:
    """Where the lake lives and how to authenticate. Immutable; secrets are excluded from ``repr``.

    Construct with :meth:`from_env` in applications, or directly in tests. Validation happens on
    construction, so an instance is always usable: an Azure configuration has exactly one credential route
    and every container name it implies is valid.
    """

    backend: Backend = "local"
    home: Path = Path(DEFAULT_HOME)
    azure_connection_string: str | None = field(default=None, repr=False)
    # The URL may carry a SAS token in its query string, so it is kept out of repr too.
    azure_account_url: str | None = field(default=None, repr=False)
    azure_account_key: str | None = field(default=None, repr=False)
    azure_container_prefix: str = ""
    azure_max_retries: int = DEFAULT_AZURE_MAX_RETRIES

    def __post_init__(self) -> None:
        # Frozen dataclass: normalise through object.__setattr__. An absolute home keeps delta_uri() and
        # local_warehouse_path() meaningful even if the process later changes directory.
        object.__setattr__(self, "home", Path(self.home).expanduser().absolute())
        if self.backend not in ("local", "azure"):
            raise StorageConfigError(
                f"Unknown storage backend {self.backend!r} ({ENV_BACKEND}); expected 'local' or 'azure'"
            )
        if self.azure_max_retries < 0:
            raise StorageConfigError(f"{ENV_AZURE_MAX_RETRIES} must be >= 0, got {self.azure_max_retries}")
        if self.backend == "azure":
            self._validate_azure()

    def _validate_azure(self) -> None:
        if self.azure_connection_string and self.azure_account_url:
            # Refuse to guess which one the operator meant: a silent choice could point at the wrong account.
            raise StorageConfigError(
                f"Set either {ENV_AZURE_CONNECTION_STRING} or {ENV_AZURE_ACCOUNT_URL}, not both"
            )
        if self.azure_account_key and not self.azure_account_url:
            raise StorageConfigError(f"{ENV_AZURE_ACCOUNT_KEY} needs {ENV_AZURE_ACCOUNT_URL}")
        if not self.azure_connection_string and not self.azure_account_url:
            raise StorageConfigError(
                f"Azure storage needs {ENV_AZURE_CONNECTION_STRING}, or {ENV_AZURE_ACCOUNT_URL} "
                f"(with {ENV_AZURE_ACCOUNT_KEY}, or without it to use managed identity)"
            )
        if self.azure_account_url and urlsplit(self.azure_account_url).scheme not in ("http", "https"):
            raise StorageConfigError(
                f"{ENV_AZURE_ACCOUNT_URL} must be an http(s) URL, got {redact_url(self.azure_account_url)!r}"
            )
        for zone in ZONES:
            name = self.container_name(zone)
            if not _CONTAINER_NAME.match(name):
                raise StorageConfigError(
                    f"{ENV_AZURE_CONTAINER_PREFIX}={self.azure_container_prefix!r} gives invalid container "
                    f"name {name!r} (lower-case letters, digits and single hyphens, 3-63 characters)"
                )

    @property
    def azure_auth(self) -> AzureAuth | None:
        """How the Azure backend authenticates, or ``None`` for the local backend."""
        if self.backend != "azure":
            return None
        if self.azure_connection_string:
            return "connection_string"
        if self.azure_account_key:
            return "account_key"
        return "default_credential"

    def container_name(self, zone: str) -> str:
        """Azure container holding ``zone``: the configured prefix followed by the zone name."""
        return f"{self.azure_container_prefix}{zone}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> StorageSettings:
        """Build settings from ``env`` (default: ``os.environ``, read now, not at import).

        Raises :class:`StorageConfigError` with the offending variable's name (never its secret value).
        """
        source: Mapping[str, str] = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = source.get(name, "").strip()
            return value or None

        connection_string = get(ENV_AZURE_CONNECTION_STRING)
        account_url = get(ENV_AZURE_ACCOUNT_URL)
        backend_value = get(ENV_BACKEND)
        if backend_value is None:
            backend = "azure" if (connection_string or account_url) else "local"
        else:
            backend = backend_value.lower()

        retries_value = get(ENV_AZURE_MAX_RETRIES)
        try:
            retries = DEFAULT_AZURE_MAX_RETRIES if retries_value is None else int(retries_value)
        except ValueError:
            raise StorageConfigError(
                f"{ENV_AZURE_MAX_RETRIES} must be an integer, got {retries_value!r}"
            ) from None

        return cls(
            backend=backend,  # type: ignore[arg-type]  # validated in __post_init__
            home=Path(get(ENV_HOME) or DEFAULT_HOME),
            azure_connection_string=connection_string,
            azure_account_url=account_url,
            azure_account_key=get(ENV_AZURE_ACCOUNT_KEY),
            azure_container_prefix=get(ENV_AZURE_CONTAINER_PREFIX) or "",
            azure_max_retries=retries,
        )
