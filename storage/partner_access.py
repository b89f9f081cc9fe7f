"""Partner access to drop zones: create-only SAS links for Azure, and the uploader `vrlake drop` uses.

A partner agency receives a URL (a shared access signature) that lets it *create new files* in the landing
container for a limited number of days, and nothing else: it cannot read, list, delete or overwrite anything,
including its own earlier deliveries. The uploader sends each file as one Put Blob request, streamed from disk
in chunks with a progress callback and sent with ``If-None-Match: *``, so an upload never replaces a file.

What a SAS can scope on this storage, and what that leaves open
---------------------------------------------------------------
* A **container SAS** (``sr=c``) covers the whole landing container. On plain Blob storage (and Azurite) it
  cannot be restricted to the ``<partner>/`` prefix: Azure's directory-scoped SAS (``sr=d`` with ``sdd``)
  exists only on accounts with a hierarchical namespace (ADLS Gen2), which Azurite does not emulate.
  **Residual risk:** whoever holds one partner's link could create a *new* file under another partner's
  prefix (never read, list, change or delete one). Ingestion quarantines a file whose feed belongs to another
  partner (``WRONG_DROP_ZONE``), so misfiled data never loads; a deliberately forged file that matches the
  other partner's contract would still load as theirs. Mitigations: a per-file **blob SAS** (below); on
  ADLS Gen2 a directory SAS on ``landing/<partner>`` with ``sdd=1``; or a container per partner; plus the
  storage account's resource logs, which record a hash of the SAS behind each request
  (``AuthenticationHash``), so a misuse can be traced to the link.
* A **blob SAS** (``sr=b``, ``file_name=...``) is confined to exactly one name inside the partner's drop
  zone: the strongest scoping plain Blob storage offers, at the cost of one link per delivery.
* Each link carries its own expiry (``se``) and permission (``sp=c``) and is signed with the **account
  key**, or with a **user delegation key** when vrlake runs on a managed identity (Azure limits those to
  seven days).
  There is no per-partner revocation: a stored access policy would give one, but a policy cannot hold a
  permission while each link keeps its own expiry in a way Azurite honours (Azurite takes start and expiry
  from the policy and ignores the link's), so expiry could not be proven in tests. To revoke, rotate the key
  that signed the links (mint with ``VRLAKE_AZURE_ACCOUNT_KEY`` set to ``key2`` while the deployment itself
  runs on managed identity, then regenerate ``key2``) or revoke the account's user delegation keys; both end
  every partner's links, so keep links short and re-issue them.

Create permission alone also lets a holder snapshot an existing blob whose name it knows (a snapshot is a
read-only copy it still cannot read) and, on Azure, copy a publicly readable URL to a new name; neither
exposes data.

Nothing here logs or returns the account key; the SAS URL itself is a bearer secret, so callers show it only
to the operator who asked for it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import mimetypes
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Final, Literal, TypeVar
from urllib.parse import parse_qs, quote, unquote, urlsplit, urlunsplit

from storage.settings import StorageSettings, redact_url
from storage.store import ObjectExists, StorageConfigError, StorageError, Store
from storage.zones import LANDING, check_path

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.storage.blob import BlobServiceClient

_T = TypeVar("_T")
ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(bytes_sent, total_bytes)`` while a file uploads."""

DROP_ZONE_PERMISSION: Final = "c"
"""Create only: no read (r), add (a), write/overwrite (w), delete (d), list (l) or tag (t)."""
MAX_DAYS: Final = 365
USER_DELEGATION_MAX_DAYS: Final = 7  # Azure's limit for a user delegation key
# This machine's clock and the storage service's differ a little; a start a few minutes back makes a new link
# usable at once.
CLOCK_SKEW: Final = dt.timedelta(minutes=5)
UPLOAD_CHUNK_BYTES: Final = 4 * 1024 * 1024
# Put Blob (one request, atomic, needs only Create) accepts up to 5,000 MiB since service version 2019-12-12.
# Staged blocks (Put Block / Put Block List) would allow larger files but need Write on Azurite.
MAX_SINGLE_PUT_BYTES: Final = 5000 * 1024 * 1024
PUT_BLOB_API_VERSION: Final = "2021-12-02"
UPLOAD_TIMEOUT_S: Final = 120.0
UPLOAD_ATTEMPTS: Final = 3

_PARTNER = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_TRANSIENT_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504})
_AUTH_FAILURE_CODES: Final = frozenset({"AuthenticationFailed", "AuthorizationFailure"})


# --- errors ----------------------------------------------------------------------------------------------
class DropRefused(StorageError):
    """The storage service refused a partner upload; the message says what the partner can do about it."""


class SasExpired(DropRefused):
    """The SAS link's expiry time has passed."""


class SasForbidden(DropRefused):
    """The SAS link was refused: revoked, tampered with, for another account, wrong network or permissions."""


class DropExists(DropRefused, ObjectExists):
    """A file with this name is already in the drop zone; uploads never overwrite."""

    def __init__(self, path: str, detail: str = "") -> None:
        ObjectExists.__init__(self, LANDING, path, detail)


# --- minting ---------------------------------------------------------------------------------------------
SasScope = Literal["container", "blob"]


@dataclass(frozen=True)
class PartnerSas:
    """A create-only link to one partner's drop zone.

    ``url`` is a bearer secret: show it only to the operator who asked for it, never log it.
    """

    partner: str
    url: str = field(repr=False)
    scope: SasScope
    starts_at: dt.datetime
    expires_at: dt.datetime
    signed_with: Literal["account key", "user delegation key"]
    blob_name: str | None = None

    @property
    def drop_prefix(self) -> str:
        """Where the partner's files belong in the landing zone, e.g. ``police/``."""
        return f"{self.partner}/"

    @property
    def endpoint(self) -> str:
        """The URL without its token: safe to log."""
        return redact_url(self.url)


def check_partner(partner: str) -> str:
    """Return ``partner`` if it is usable as a drop-zone folder name (lower-case, no separators)."""
    if not _PARTNER.match(partner):
        raise ValueError(f"Invalid partner name {partner!r}: lower-case letters, digits, '-' and '_' only")
    return partner


def drop_path(partner: str, name: str) -> str:
    """``<partner>/<name>`` in the landing zone; ``name`` must be a plain file name (no folders)."""
    if "/" in name or "\\" in name:
        raise ValueError(f"File name {name!r} must not contain folders")
    return check_path(f"{check_partner(partner)}/{name}")


def mint_partner_sas(
    settings: StorageSettings,
    partner: str,
    days: float,
    *,
    file_name: str | None = None,
    ip_range: str | None = None,
    now: dt.datetime | None = None,
    credential: TokenCredential | None = None,
) -> PartnerSas:
    """Mint a create-only SAS for ``landing/<partner>/`` valid for ``days`` days from ``now``.

    Without ``file_name`` the link is a container SAS (any new name, see the module docstring for the residual
    risk); with it, a blob SAS for exactly ``<partner>/<file_name>``. ``ip_range`` (``a.b.c.d`` or
    ``a.b.c.d-e.f.g.h``) limits where the link may be used from (enforced by Azure; Azurite ignores it).

    Signed with the account key when the settings carry one, else with a user delegation key from
    ``credential`` (default: DefaultAzureCredential).
    Raises :class:`StorageConfigError` for a local backend, a SAS-only configuration or a bad duration.
    """
    from azure.storage.blob import (
        BlobSasPermissions,
        ContainerSasPermissions,
        generate_blob_sas,
        generate_container_sas,
    )

    check_partner(partner)
    blob_name = drop_path(partner, file_name) if file_name is not None else None
    if not 0 < days <= MAX_DAYS:
        raise StorageConfigError(
            f"A partner link must last more than 0 and at most {MAX_DAYS} days, got {days}"
        )
    issued = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    starts_at = issued - CLOCK_SKEW
    expires_at = issued + dt.timedelta(days=days)
    service, account_key = _service_client(settings, credential)
    container = settings.container_name(LANDING)
    https_only = urlsplit(service.url).scheme == "https"
    common = {
        "start": starts_at,
        "expiry": expires_at,
        "ip": ip_range,
        # Azurite speaks plain HTTP; a real account always gets an HTTPS-only link.
        "protocol": "https" if https_only else None,
    }

    if account_key is not None:
        signer: dict[str, object] = {"account_key": account_key}
        signed_with: Literal["account key", "user delegation key"] = "account key"
    else:
        if days > USER_DELEGATION_MAX_DAYS:
            raise StorageConfigError(
                "Without an account key the link is signed with a user delegation key, which Azure "
                f"limits to {USER_DELEGATION_MAX_DAYS} days; asked for {days}"
            )
        delegation_key = _translate_call(
            "get a user delegation key", lambda: service.get_user_delegation_key(starts_at, expires_at)
        )
        signer = {"user_delegation_key": delegation_key}
        signed_with = "user delegation key"

    container_url = service.get_container_client(container).url
    if blob_name is None:
        token = generate_container_sas(
            service.account_name,
            container,
            permission=ContainerSasPermissions.from_string(DROP_ZONE_PERMISSION),
            **signer,
            **common,
        )
        url = f"{container_url}?{token}"
    else:
        token = generate_blob_sas(
            service.account_name,
            container,
            blob_name,
            permission=BlobSasPermissions.from_string(DROP_ZONE_PERMISSION),
            **signer,
            **common,
        )
        url = f"{container_url}/{quote(blob_name)}?{token}"
    return PartnerSas(
        partner=partner,
        url=url,
        scope="container" if blob_name is None else "blob",
        starts_at=starts_at,
        expires_at=expires_at,
        signed_with=signed_with,
        blob_name=blob_name,
    )


def _service_client(
    settings: StorageSettings, credential: TokenCredential | None
) -> tuple[BlobServiceClient, str | None]:
    """A service client for the account in ``settings``, and its account key (None: use a delegation key)."""
    from azure.storage.blob import BlobServiceClient

    from storage.azure import parse_connection_string

    if settings.backend != "azure":
        raise StorageConfigError(
            "Partner links are for Azure storage; the local backend has no shared access signatures "
            "(partners on a local deployment copy files into the drop-zone folder, or use `vrlake drop`)"
        )
    if settings.azure_connection_string:
        fields = parse_connection_string(settings.azure_connection_string)
        account_key = fields.get("accountkey")
        if not account_key:
            raise StorageConfigError(
                "VRLAKE_AZURE_CONNECTION_STRING holds no account key (a SAS cannot mint other SAS); use "
                "a key, or VRLAKE_AZURE_ACCOUNT_URL with managed identity"
            )
        try:
            return BlobServiceClient.from_connection_string(settings.azure_connection_string), account_key
        except ValueError as exc:
            raise StorageConfigError("Invalid VRLAKE_AZURE_CONNECTION_STRING") from exc
    assert settings.azure_account_url is not None  # guaranteed by StorageSettings validation
    if urlsplit(settings.azure_account_url).query:
        raise StorageConfigError(
            "VRLAKE_AZURE_ACCOUNT_URL carries a SAS token, which cannot mint partner links"
        )
    if settings.azure_account_key:
        key = settings.azure_account_key
        return BlobServiceClient(settings.azure_account_url, credential=key), key
    if credential is None:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
    return BlobServiceClient(settings.azure_account_url, credential=credential), None


def _translate_call(action: str, call: Callable[[], _T]) -> _T:
    """Run an SDK call, turning its errors into a :class:`StorageError` that names the action, not secrets."""
    from azure.core.exceptions import AzureError, HttpResponseError

    try:
        return call()
    except HttpResponseError as exc:
        detail = " ".join(str(p) for p in (exc.status_code, exc.error_code) if p)
        raise StorageError(f"Cannot {action} the landing container: {detail}") from exc
    except AzureError as exc:
        raise StorageError(f"Cannot {action} the landing container: {type(exc).__name__}") from exc


# --- uploading -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DropReceipt:
    """What was delivered: where (``landing/<path>``), its size, and the content MD5 the service checked."""

    path: str
    size: int
    content_md5: str


@dataclass(frozen=True)
class SasLink:
    """The parts of a SAS URL that matter to an uploader (parsed locally; nothing is sent)."""

    base_url: str = field(repr=False)  # scheme://host/path, no query
    token: str = field(repr=False)
    resource: str  # "c" container, "b" blob
    permissions: str
    expires_at: dt.datetime | None

    @classmethod
    def parse(cls, url: str) -> SasLink:
        parts = urlsplit(url.strip())
        query = parse_qs(parts.query)
        if parts.scheme not in ("http", "https") or not parts.netloc or "sig" not in query:
            raise SasForbidden(
                "This is not a shared access signature (SAS) URL: it needs https://...?...&sig=..."
            )
        expiry = query.get("se", [None])[0]
        expires_at = None
        if expiry:
            try:
                expires_at = dt.datetime.fromisoformat(expiry)
            except ValueError:
                raise SasForbidden(
                    "The SAS URL's expiry (se=...) is not a date; ask for a new link"
                ) from None
            if expires_at.tzinfo is None:
                expires_at = expires_at.replace(tzinfo=dt.UTC)
        return cls(
            base_url=urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", "")),
            token=parts.query,
            resource=query.get("sr", [""])[0],
            permissions=query.get("sp", [""])[0],
            expires_at=expires_at,
        )

    def blob_url(self, partner: str, name: str) -> tuple[str, str]:
        """``(url with token, landing path)`` for delivering ``name`` into ``partner``'s drop zone."""
        path = drop_path(partner, name)
        if self.resource == "b":
            # A per-file link names its one blob: deliver there, and only if it is this partner's zone.
            linked = unquote(self.base_url.rsplit("/", 2)[-2] + "/" + self.base_url.rsplit("/", 1)[-1])
            if not linked.startswith(f"{partner}/"):
                raise SasForbidden(f"This link is for {linked!r}, not for the {partner} drop zone")
            return f"{self.base_url}?{self.token}", linked
        if self.resource not in ("c", ""):
            raise SasForbidden(
                f"This SAS is for resource type {self.resource!r}; a drop-zone link is sr=c or sr=b"
            )
        return f"{self.base_url}/{quote(path)}?{self.token}", path


class _ProgressReader:
    """A binary file wrapper that reports bytes handed to the HTTP client, at most once per chunk."""

    def __init__(self, handle: BinaryIO, total: int, progress: ProgressCallback | None) -> None:
        self._handle = handle
        self._total = total
        self._progress = progress
        self._sent = 0
        self._reported = 0

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._sent += len(data)
        if self._progress and (
            self._sent - self._reported >= UPLOAD_CHUNK_BYTES or self._sent == self._total
        ):
            self._reported = self._sent
            self._progress(self._sent, self._total)
        return data


def file_md5(path: Path) -> bytes:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while chunk := handle.read(UPLOAD_CHUNK_BYTES):
            digest.update(chunk)
    return digest.digest()


def upload_with_sas(
    sas_url: str,
    partner: str,
    local_path: str | Path,
    *,
    name: str | None = None,
    progress: ProgressCallback | None = None,
    now: dt.datetime | None = None,
) -> DropReceipt:
    """Deliver ``local_path`` to ``landing/<partner>/<name>`` (default: the file's own name) with a SAS link.
    A per-file link (``sr=b``) names its blob itself; ``name`` is then ignored.

    One Put Blob request with ``If-None-Match: *`` and the content MD5: atomic (the drop-zone sensor never
    sees half a file), never overwriting, integrity-checked by the service. The file is streamed in chunks, so
    memory stays flat, and ``progress(sent, total)`` is called as it goes. Transient failures (timeouts, 5xx)
    are retried. Raises :class:`SasExpired`, :class:`SasForbidden`, :class:`DropExists` or
    :class:`DropRefused` with a message a partner can act on; never includes the token in a message.
    """
    source = Path(local_path)
    if not source.is_file():
        raise FileNotFoundError(f"No such file: {source}")
    link = SasLink.parse(sas_url)
    moment = now or dt.datetime.now(dt.UTC)
    if link.expires_at is not None and link.expires_at <= moment:
        raise SasExpired(
            f"This drop-zone link expired on {link.expires_at:%Y-%m-%d %H:%M} UTC; ask the VRU for a new one"
        )
    url, path = link.blob_url(partner, name or source.name)
    size = source.stat().st_size
    if size > MAX_SINGLE_PUT_BYTES:
        raise DropRefused(
            f"{source.name} is {size / 2**20:,.0f} MiB; a single delivery may be at most "
            f"{MAX_SINGLE_PUT_BYTES // 2**20:,} MiB. Split it by period and send the parts."
        )
    md5 = file_md5(source)
    md5_b64 = base64.b64encode(md5).decode("ascii")
    headers = {
        "x-ms-version": PUT_BLOB_API_VERSION,
        "x-ms-blob-type": "BlockBlob",
        "x-ms-date": dt.datetime.now(dt.UTC).strftime("%a, %d %b %Y %H:%M:%S GMT"),
        "If-None-Match": "*",  # never overwrite, even if a link carried more than Create
        "Content-Length": str(size),
        "Content-MD5": md5_b64,  # the service rejects a body that does not match
        "x-ms-blob-content-md5": md5_b64,
        "Content-Type": mimetypes.guess_type(source.name)[0] or "application/octet-stream",
    }
    last_error: Exception | None = None
    for attempt in range(1, UPLOAD_ATTEMPTS + 1):
        with source.open("rb") as handle:
            request = urllib.request.Request(
                url, data=_ProgressReader(handle, size, progress), headers=headers, method="PUT"
            )
            try:
                with urllib.request.urlopen(request, timeout=UPLOAD_TIMEOUT_S) as response:
                    response.read()
                return DropReceipt(path=path, size=size, content_md5=md5.hex())
            except urllib.error.HTTPError as exc:
                if exc.code in _TRANSIENT_STATUSES and attempt < UPLOAD_ATTEMPTS:
                    last_error = exc
                    continue
                raise _refusal(exc, link, path, retried=attempt > 1) from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                last_error = exc
                if attempt == UPLOAD_ATTEMPTS:
                    break
    reason = getattr(last_error, "reason", last_error)
    raise DropRefused(
        f"Could not reach the storage service at {redact_url(url)} after {UPLOAD_ATTEMPTS} attempts "
        f"({type(reason).__name__}: {reason}); check the network and retry"
    )


def _refusal(exc: urllib.error.HTTPError, link: SasLink, path: str, *, retried: bool) -> DropRefused:
    code = exc.headers.get("x-ms-error-code", "") if exc.headers else ""
    exc.close()
    if exc.code in (409, 412) or (
        exc.code == 403 and code == "AuthorizationPermissionMismatch" and "c" in link.permissions
    ):
        # With Create permission granted, the only write refused for lack of permission is an overwrite.
        hint = " (an earlier attempt of this upload probably completed)" if retried else ""
        return DropExists(
            path,
            f"a file with this name was already delivered{hint}; deliveries are never overwritten: "
            "rename the file (e.g. add _v2) and send it again",
        )
    if exc.code == 403 and code == "AuthorizationSourceIPMismatch":
        return SasForbidden("This drop-zone link may not be used from this network (IP address restriction)")
    if exc.code == 403 and code == "AuthorizationPermissionMismatch":
        return SasForbidden("This link does not allow creating files (it lacks Create permission)")
    if exc.code == 403 and (code in _AUTH_FAILURE_CODES or not code):
        return SasForbidden(
            "The storage service refused this drop-zone link: it was revoked, altered, or is for another "
            f"storage account (HTTP 403 {code or 'Forbidden'}); ask the VRU for a new link"
        )
    if exc.code == 404:
        return DropRefused(f"The drop zone does not exist at {redact_url(link.base_url)} (HTTP 404 {code})")
    return DropRefused(f"The storage service refused the upload of {path!r}: HTTP {exc.code} {code}".rstrip())


def upload_with_store(
    store: Store,
    partner: str,
    local_path: str | Path,
    *,
    name: str | None = None,
    progress: ProgressCallback | None = None,
) -> DropReceipt:
    """Deliver ``local_path`` to ``landing/<partner>/<name>`` through the configured store (operator's own
    credentials: the local folder, or Azure with the deployment's identity). Atomic and never overwriting,
    like :func:`upload_with_sas`; progress is reported when the store has written the file."""
    source = Path(local_path)
    if not source.is_file():
        raise FileNotFoundError(f"No such file: {source}")
    path = drop_path(partner, name or source.name)
    size = source.stat().st_size
    md5 = file_md5(source)
    if progress:
        progress(0, size)
    try:
        store.upload_file(LANDING, path, source, overwrite=False)
    except ObjectExists:
        raise DropExists(
            path,
            "a file with this name was already delivered; deliveries are never overwritten: rename the file "
            "(e.g. add _v2) and send it again",
        ) from None
    if progress:
        progress(size, size)
    return DropReceipt(path=path, size=size, content_md5=md5.hex())
