"""Azure Blob backend: every zone is a container (``<prefix><zone>``) of one storage account.

Works against Azure Storage and the Azurite emulator alike. Delta tables live in the lake container and are
reached by deltalake's own Azure client through :meth:`AzureStore.delta_uri` and
:meth:`AzureStore.delta_storage_options`. DuckDB cannot open a database in blob storage, so dbt writes a local
working copy under ``VRLAKE_HOME/warehouse/`` and :meth:`AzureStore.publish_file` uploads snapshots of it to
the warehouse container.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.storage.blob import (
    BlobClient,
    BlobProperties,
    BlobServiceClient,
    ContentSettings,
    ExponentialRetry,
)

from storage.settings import StorageSettings, redact_url
from storage.store import (
    ObjectExists,
    ObjectInfo,
    ObjectNotFound,
    StorageConfigError,
    StorageError,
    Store,
    ZoneNotFound,
)
from storage.zones import LAKE, WAREHOUSE, ZONES, check_path, check_zone

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

# Transient errors (throttling, timeouts, 5xx, dropped connections) are retried by the SDK's own policy,
# configured here rather than left to defaults (15 s, 18 s, 24 s): back-off 1 s, 3 s, 5 s, 9 s, 17 s (+/- 3 s
# jitter), long enough to ride out throttling without stalling a sensor tick for minutes.
_RETRY_INITIAL_BACKOFF_S: Final = 1
_RETRY_INCREMENT_BASE: Final = 2
_CONNECTION_TIMEOUT_S: Final = 20
_READ_TIMEOUT_S: Final = 120
# Two cores on the target machines: more parallel block transfers would only contend.
_MAX_CONCURRENCY: Final = 2
_HASH_CHUNK: Final = 1024 * 1024
_COPY_POLL_S: Final = 0.5
_COPY_TIMEOUT_S: Final = 600
_STORAGE_SCOPE: Final = "https://storage.azure.com/.default"
# Markers that hierarchical-namespace (Data Lake Gen2) accounts list as zero-byte blobs for folders.
_FOLDER_MARKER_METADATA: Final = "hdi_isfolder"
# Error codes meaning the service could not read the copy source with our credential (e.g. token auth),
# in which case the copy is done through this process instead.
_COPY_SOURCE_AUTH_CODES: Final = frozenset({"CannotVerifyCopySource", "AuthorizationFailure"})


def parse_connection_string(connection_string: str) -> dict[str, str]:
    """Split an Azure Storage connection string into a dict with lower-case keys.

    Values may contain ``=`` (account keys end in ``==``), so each pair splits on its first ``=`` only.
    """
    pairs: dict[str, str] = {}
    for part in connection_string.split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep:
            raise StorageConfigError("Malformed Azure connection string: a segment has no '='")
        pairs[key.strip().lower()] = value.strip()
    return pairs


def _error_summary(exc: AzureError) -> str:
    """Short, secret-free description of an SDK error (status and error code, or the exception type)."""
    if isinstance(exc, HttpResponseError):
        parts = [str(part) for part in (exc.status_code, exc.error_code or exc.reason) if part]
        return " ".join(parts) or type(exc).__name__
    return f"{type(exc).__name__}: {exc.message}" if getattr(exc, "message", None) else type(exc).__name__


class AzureStore(Store):
    """Zones as containers of one Azure storage account (or Azurite).

    Guarantees: uploads are committed atomically by the service (readers see the old or the new blob,
    never a partial one) and record the content MD5, so :class:`ObjectInfo.content_md5` is set for every
    blob this class writes; ``overwrite=False`` is enforced by the service (``If-None-Match: *``); ``move``
    copies the exact version it saw and deletes the source only if it is still that version.

    ``credential`` overrides DefaultAzureCredential when the settings carry no key (for tests, or to share
    one credential object across a process).
    """

    def __init__(self, settings: StorageSettings, *, credential: TokenCredential | None = None) -> None:
        if settings.backend != "azure":
            raise StorageConfigError(f"AzureStore needs backend 'azure', got {settings.backend!r}")
        self.settings = settings
        client_options = {
            "retry_policy": ExponentialRetry(
                initial_backoff=_RETRY_INITIAL_BACKOFF_S,
                increment_base=_RETRY_INCREMENT_BASE,
                retry_total=settings.azure_max_retries,
            ),
            "connection_timeout": _CONNECTION_TIMEOUT_S,
            "read_timeout": _READ_TIMEOUT_S,
        }
        self._account_key: str | None = None
        self._sas_token: str | None = None
        self._token_credential: TokenCredential | None = None

        if settings.azure_auth == "connection_string":
            assert settings.azure_connection_string is not None  # guaranteed by StorageSettings validation
            fields = parse_connection_string(settings.azure_connection_string)
            self._account_key = fields.get("accountkey")
            self._sas_token = fields.get("sharedaccesssignature", "").lstrip("?") or None
            try:
                self._service = BlobServiceClient.from_connection_string(
                    settings.azure_connection_string, **client_options
                )
            except ValueError as exc:
                # The SDK's message can quote the string; ours names only the variable.
                raise StorageConfigError("Invalid VRLAKE_AZURE_CONNECTION_STRING") from exc
        else:
            assert settings.azure_account_url is not None  # guaranteed by StorageSettings validation
            query = urlsplit(settings.azure_account_url).query
            if settings.azure_account_key:
                self._account_key = settings.azure_account_key
                credential_arg: object = settings.azure_account_key
            elif query:
                # An account URL with a SAS token in it: the token is the credential.
                self._sas_token = query
                credential_arg = None
            else:
                if credential is None:
                    # Imported lazily: azure-identity is only needed for keyless (managed identity) access.
                    from azure.identity import DefaultAzureCredential

                    credential = DefaultAzureCredential()
                self._token_credential = credential
                credential_arg = credential
            self._service = BlobServiceClient(
                settings.azure_account_url, credential=credential_arg, **client_options
            )

        self._account_name: str = self._service.account_name or ""
        # Trailing slash removed: deltalake's client would otherwise build "//container" URLs (HTTP 400).
        self._endpoint = redact_url(self._service.primary_endpoint).rstrip("/")

    # --- helpers ---------------------------------------------------------------------------------------
    def _container(self, zone: str) -> str:
        return self.settings.container_name(check_zone(zone))

    def _blob(self, zone: str, path: str) -> BlobClient:
        return self._service.get_blob_client(self._container(zone), check_path(path))

    @contextmanager
    def _translate(
        self, action: str, zone: str, path: str = "", *, create_only: bool = False
    ) -> Iterator[None]:
        """Turn SDK exceptions into :class:`StorageError` subclasses that name zone, path and container.

        ``create_only`` marks a write sent with ``If-None-Match: *``, whose failed precondition means the
        object already exists.
        """
        container = self.settings.container_name(zone)
        where = f"container {container!r}"
        try:
            yield
        except StorageError:
            raise
        except ResourceNotFoundError as exc:
            if exc.error_code == "ContainerNotFound":
                raise ZoneNotFound(zone, where) from exc
            if path:
                raise ObjectNotFound(zone, path, where) from exc
            raise StorageError(
                f"Cannot {action} in storage zone {zone!r} ({where}): {_error_summary(exc)}"
            ) from exc
        except ResourceExistsError as exc:
            if path and not (exc.error_code or "").startswith("Container"):
                raise ObjectExists(zone, path, where) from exc
            raise StorageError(
                f"Cannot {action} {path!r} in storage zone {zone!r} ({where}): {_error_summary(exc)}"
            ) from exc
        except ResourceModifiedError as exc:
            if create_only and path:
                raise ObjectExists(zone, path, where) from exc
            raise StorageError(
                f"Cannot {action} {path!r} in storage zone {zone!r} ({where}): {_error_summary(exc)}"
            ) from exc
        except AzureError as exc:
            target = f"{path!r} in storage zone {zone!r}" if path else f"storage zone {zone!r}"
            raise StorageError(f"Cannot {action} {target} ({where}): {_error_summary(exc)}") from exc

    @staticmethod
    def _info(zone: str, path: str, props: BlobProperties) -> ObjectInfo:
        md5 = props.content_settings.content_md5 if props.content_settings else None
        return ObjectInfo(
            zone=zone,
            path=path,
            size=int(props.size),
            etag=str(props.etag),
            content_md5=bytes(md5).hex() if md5 else None,
            last_modified=props.last_modified,
        )

    @staticmethod
    def _content_settings(path: str, md5: bytes) -> ContentSettings:
        # A content type lets browsers open published marts and reports sensibly; the MD5 is stored as a
        # blob property so listings can report it even for files uploaded in blocks.
        return ContentSettings(content_type=mimetypes.guess_type(path)[0], content_md5=bytearray(md5))

    # --- listing and reading -------------------------------------------------------------------------
    def list(self, zone: str, prefix: str = "") -> list[ObjectInfo]:
        check_path(prefix, allow_empty=True)
        container = self._service.get_container_client(self._container(zone))
        found: list[ObjectInfo] = []
        with self._translate("list objects", zone):
            for props in container.list_blobs(name_starts_with=prefix or None, include=["metadata"]):
                if (props.metadata or {}).get(_FOLDER_MARKER_METADATA) == "true":
                    continue
                found.append(self._info(zone, props.name, props))
        return sorted(found, key=lambda info: info.path)

    def exists(self, zone: str, path: str) -> bool:
        blob = self._blob(zone, path)
        try:
            with self._translate("check", zone, path):
                blob.get_blob_properties()
        except ObjectNotFound:
            return False
        return True

    def info(self, zone: str, path: str) -> ObjectInfo:
        blob = self._blob(zone, path)
        with self._translate("read properties of", zone, path):
            return self._info(zone, path, blob.get_blob_properties())

    def read_bytes(self, zone: str, path: str) -> bytes:
        blob = self._blob(zone, path)
        with self._translate("read", zone, path):
            return blob.download_blob(max_concurrency=_MAX_CONCURRENCY).readall()

    def download_to(self, zone: str, path: str, local_path: str | Path) -> Path:
        blob = self._blob(zone, path)
        dest = Path(local_path)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".vrlake-download-", dir=dest.parent)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as handle, self._translate("download", zone, path):
                # readinto streams chunk by chunk; the SDK pins the blob's ETag across chunks, so a
                # concurrent overwrite fails the download instead of mixing two versions.
                blob.download_blob(max_concurrency=_MAX_CONCURRENCY).readinto(handle)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        return dest

    @contextmanager
    def local_file(self, zone: str, path: str) -> Iterator[Path]:
        # Keep the original file name: readers (e.g. Excel parsers) decide the format from the extension.
        with tempfile.TemporaryDirectory(prefix="vrlake-") as tmp_dir:
            yield self.download_to(zone, path, Path(tmp_dir) / check_path(path).rsplit("/", 1)[-1])

    # --- writing ---------------------------------------------------------------------------------------
    def write_bytes(self, zone: str, path: str, data: bytes, *, overwrite: bool = True) -> ObjectInfo:
        blob = self._blob(zone, path)
        md5 = hashlib.md5(data, usedforsecurity=False).digest()
        with self._translate("write", zone, path, create_only=not overwrite):
            result = blob.upload_blob(
                data,
                overwrite=overwrite,
                content_settings=self._content_settings(path, md5),
                max_concurrency=_MAX_CONCURRENCY,
            )
        return ObjectInfo(
            zone=zone,
            path=path,
            size=len(data),
            etag=str(result["etag"]),
            content_md5=md5.hex(),
            last_modified=result["last_modified"],
        )

    def upload_file(
        self, zone: str, path: str, local_path: str | Path, *, overwrite: bool = True
    ) -> ObjectInfo:
        source = Path(local_path)
        if not source.is_file():
            raise StorageError(f"Cannot upload to {zone}/{path}: no local file {source}")
        blob = self._blob(zone, path)
        # One extra local read to know the MD5 before upload: cheap next to the network transfer, and it
        # gives large (block-uploaded) blobs a content hash too.
        digest = hashlib.md5(usedforsecurity=False)
        with source.open("rb") as handle:
            for chunk in iter(lambda: handle.read(_HASH_CHUNK), b""):
                digest.update(chunk)
        size = source.stat().st_size
        with source.open("rb") as handle, self._translate("upload", zone, path, create_only=not overwrite):
            result = blob.upload_blob(
                handle,
                length=size,
                overwrite=overwrite,
                content_settings=self._content_settings(path, digest.digest()),
                max_concurrency=_MAX_CONCURRENCY,
            )
        return ObjectInfo(
            zone=zone,
            path=path,
            size=size,
            etag=str(result["etag"]),
            content_md5=digest.hexdigest(),
            last_modified=result["last_modified"],
        )

    def move(
        self, src_zone: str, src_path: str, dst_zone: str, dst_path: str, *, overwrite: bool = True
    ) -> ObjectInfo:
        source = self._blob(src_zone, src_path)
        dest = self._blob(dst_zone, dst_path)
        with self._translate("move", src_zone, src_path):
            props = source.get_blob_properties()
        if (src_zone, src_path) == (dst_zone, dst_path):
            # Copy-then-delete onto itself would delete the only copy.
            return self._info(dst_zone, dst_path, props)

        self._copy(src_zone, src_path, source, props, dst_zone, dst_path, dest, overwrite=overwrite)
        copied = self.info(dst_zone, dst_path)
        if copied.size != props.size:
            raise StorageError(
                f"Move of {src_zone}/{src_path} to {dst_zone}/{dst_path} copied {copied.size} of "
                f"{props.size} bytes; the source was kept"
            )
        try:
            with self._translate("delete moved", src_zone, src_path):
                # Only the version that was copied may be deleted: a newer upload stays in place.
                source.delete_blob(
                    delete_snapshots="include", etag=props.etag, match_condition=MatchConditions.IfNotModified
                )
        except ObjectNotFound:
            pass  # Someone else removed the source meanwhile; the copy is safe, which is what matters.
        except StorageError as exc:
            if isinstance(exc.__cause__, ResourceModifiedError):
                raise StorageError(
                    f"{src_zone}/{src_path} changed while it was moved to {dst_zone}/{dst_path}; "
                    "both objects were kept"
                ) from exc.__cause__
            raise
        return copied

    def _copy(
        self,
        src_zone: str,
        src_path: str,
        source: BlobClient,
        props: BlobProperties,
        dst_zone: str,
        dst_path: str,
        dest: BlobClient,
        *,
        overwrite: bool,
    ) -> None:
        """Copy exactly version ``props.etag`` of ``source`` to ``dest``, server-side when possible."""
        conditions: dict[str, object] = {
            "source_etag": props.etag,
            "source_match_condition": MatchConditions.IfNotModified,
        }
        if not overwrite:
            conditions["match_condition"] = MatchConditions.IfMissing  # If-None-Match: * on the destination
        try:
            with self._translate("copy to", dst_zone, dst_path):
                status = dest.start_copy_from_url(source.url, **conditions)["copy_status"]
                deadline = time.monotonic() + _COPY_TIMEOUT_S
                # Copies within an account are usually synchronous; large ones may report "pending".
                while status == "pending" and time.monotonic() < deadline:
                    time.sleep(_COPY_POLL_S)
                    status = dest.get_blob_properties().copy.status
        except StorageError as exc:
            cause = exc.__cause__
            if isinstance(cause, ResourceModifiedError):
                # A failed precondition: either the destination exists (overwrite=False) or the source
                # changed since it was inspected. Either way nothing was copied and the source is intact.
                if not overwrite and self.exists(dst_zone, dst_path):
                    raise ObjectExists(dst_zone, dst_path, f"container {dest.container_name!r}") from cause
                raise StorageError(
                    f"{src_zone}/{src_path} changed while being copied to {dst_zone}/{dst_path}; "
                    "nothing was moved"
                ) from cause
            if isinstance(cause, HttpResponseError) and cause.error_code in _COPY_SOURCE_AUTH_CODES:
                self._copy_through_client(
                    src_zone, src_path, source, props, dst_zone, dst_path, overwrite=overwrite
                )
                return
            raise
        if status != "success":
            raise StorageError(f"Copy to {dst_zone}/{dst_path} ended with status {status!r}")

    def _copy_through_client(
        self,
        src_zone: str,
        src_path: str,
        source: BlobClient,
        props: BlobProperties,
        dst_zone: str,
        dst_path: str,
        *,
        overwrite: bool,
    ) -> None:
        """Fallback copy via a temporary local file, for credentials the service cannot use as copy source."""
        with tempfile.TemporaryDirectory(prefix="vrlake-copy-") as tmp_dir:
            tmp = Path(tmp_dir) / "object"
            with tmp.open("wb") as handle, self._translate("copy", src_zone, src_path):
                source.download_blob(etag=props.etag, match_condition=MatchConditions.IfNotModified).readinto(
                    handle
                )
            self.upload_file(dst_zone, dst_path, tmp, overwrite=overwrite)

    def delete(self, zone: str, path: str, *, missing_ok: bool = False) -> None:
        blob = self._blob(zone, path)
        try:
            with self._translate("delete", zone, path):
                blob.delete_blob(delete_snapshots="include")
        except ObjectNotFound:
            if not missing_ok:
                raise

    # --- zones, Delta, DuckDB --------------------------------------------------------------------------
    def ensure_zones(self) -> None:
        for zone in ZONES:
            container = self._service.get_container_client(self._container(zone))
            try:
                with self._translate("create", zone):
                    container.create_container()
            except StorageError as exc:
                if not isinstance(exc.__cause__, ResourceExistsError):
                    raise
        (self.settings.home / WAREHOUSE).mkdir(parents=True, exist_ok=True)

    def delta_uri(self, table_path: str, *, zone: str = LAKE) -> str:
        path = check_path(table_path) if table_path else ""
        return f"az://{self.settings.container_name(check_zone(zone))}/{path}".rstrip("/")

    def delta_storage_options(self) -> dict[str, str]:
        options = {"account_name": self._account_name}
        if self._endpoint != f"https://{self._account_name}.blob.core.windows.net":
            # Azurite or a sovereign cloud. Not "use_emulator": deltalake then ignores the endpoint and
            # always dials 127.0.0.1:10000, which breaks any Azurite on another port.
            options["endpoint"] = self._endpoint
        if urlsplit(self._endpoint).scheme == "http":
            options["allow_http"] = "true"
        if self._account_key:
            options["account_key"] = self._account_key
        elif self._sas_token:
            options["sas_token"] = self._sas_token
        elif self._token_credential is not None:
            # The same credential chain as the blob client (managed identity, workload identity, CLI), so
            # both SDKs act as one identity. Tokens expire: callers fetch these options right before use.
            try:
                options["bearer_token"] = self._token_credential.get_token(_STORAGE_SCOPE).token
            except Exception as exc:  # azure-identity raises several unrelated types for "no credential"
                raise StorageError(
                    f"Cannot get an Azure AD token for storage account {self._account_name!r}: "
                    f"{type(exc).__name__}"
                ) from exc
        return options

    def describe(self) -> str:
        auth = {
            "connection_string": "connection string",
            "account_key": "account key",
            "default_credential": "SAS token" if self._sas_token else "DefaultAzureCredential",
        }[self.settings.azure_auth or "default_credential"]
        containers = ", ".join(self.settings.container_name(zone) for zone in ZONES)
        return (
            f"Azure Blob storage account {self._account_name!r} at {self._endpoint} "
            f"(auth: {auth}; containers: {containers}; "
            f"DuckDB working copy in {self.settings.home / WAREHOUSE})"
        )
