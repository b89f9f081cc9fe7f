"""The storage abstraction every other package uses: :class:`Store`, :class:`ObjectInfo` and the errors.

Two implementations exist, :class:`storage.local.LocalStore` and :class:`storage.azure.AzureStore`; pick one
with :func:`storage.factory.open_store` from :class:`storage.settings.StorageSettings`, never by name in code.
Both behave the same for every method below (the integration tests run the same bodies on both).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from storage.zones import WAREHOUSE, WAREHOUSE_FILENAME

if TYPE_CHECKING:
    from storage.settings import StorageSettings


class StorageError(Exception):
    """Any storage failure. The message names the zone and path involved and never contains secrets;
    the underlying SDK or OS error, if any, is chained as ``__cause__``."""


class StorageConfigError(StorageError, ValueError):
    """The storage configuration (environment variables / settings) is invalid or incomplete."""


class ObjectNotFound(StorageError, FileNotFoundError):
    """No object at ``zone``/``path``. Also a :class:`FileNotFoundError`, so generic handlers work."""

    def __init__(self, zone: str, path: str, where: str = "") -> None:
        self.zone = zone
        self.path = path
        location = f" ({where})" if where else ""
        super().__init__(f"No object {path!r} in storage zone {zone!r}{location}")


class ObjectExists(StorageError, FileExistsError):
    """An object already exists at ``zone``/``path`` and the call asked not to overwrite it."""

    def __init__(self, zone: str, path: str, where: str = "") -> None:
        self.zone = zone
        self.path = path
        location = f" ({where})" if where else ""
        super().__init__(f"Object {path!r} already exists in storage zone {zone!r}{location}")


class ZoneNotFound(StorageError):
    """The zone's folder or container does not exist yet; :meth:`Store.ensure_zones` creates it."""

    def __init__(self, zone: str, where: str) -> None:
        self.zone = zone
        super().__init__(f"Storage zone {zone!r} does not exist ({where}); run Store.ensure_zones() first")


@dataclass(frozen=True)
class ObjectInfo:
    """Metadata of one stored object.

    ``etag`` changes whenever the content is rewritten, so ``(zone, path, etag)`` identifies one version of
    a file (sensors use it as a run key). On Azure it is the blob ETag; locally it is derived from the
    modification time and size. ``content_md5`` is the hex MD5 of the content when the backend knows it
    without reading the object (Azure, for blobs written with one), else ``None``.
    """

    zone: str
    path: str
    size: int
    etag: str
    content_md5: str | None
    last_modified: datetime

    @property
    def name(self) -> str:
        """Last path segment, e.g. ``occurrences.csv`` for ``police/2024/occurrences.csv``."""
        return self.path.rsplit("/", 1)[-1]


class Store(ABC):
    """Zone-addressed object storage plus the Delta and DuckDB locations that go with it.

    Paths are relative to their zone and use ``/`` (see :func:`storage.zones.check_path`); zones must be one
    of :data:`storage.zones.ZONES`. Every method raises :class:`StorageError` subclasses, never a bare SDK
    exception. Writes are atomic on both backends: a reader sees either the old or the new complete content.
    """

    settings: StorageSettings

    # --- listing and reading -------------------------------------------------------------------------
    @abstractmethod
    def list(self, zone: str, prefix: str = "") -> list[ObjectInfo]:
        """All objects in ``zone`` whose path starts with ``prefix`` (recursive), sorted by path.

        ``prefix`` is a plain string prefix, like a blob-name prefix: ``"police/"`` lists that folder,
        ``"police/2024"`` also matches ``police/2024-01.csv``. Folders themselves are never listed.
        """

    @abstractmethod
    def exists(self, zone: str, path: str) -> bool:
        """True if an object exists at ``zone``/``path``."""

    @abstractmethod
    def info(self, zone: str, path: str) -> ObjectInfo:
        """Metadata of one object; raises :class:`ObjectNotFound` if absent."""

    @abstractmethod
    def read_bytes(self, zone: str, path: str) -> bytes:
        """Whole content of an object (for small objects; use :meth:`local_file` or :meth:`download_to`
        for large ones). Raises :class:`ObjectNotFound` if absent."""

    def read_text(self, zone: str, path: str, *, encoding: str = "utf-8") -> str:
        """Whole content of an object decoded as text."""
        return self.read_bytes(zone, path).decode(encoding)

    @abstractmethod
    def download_to(self, zone: str, path: str, local_path: str | Path) -> Path:
        """Stream an object to ``local_path`` (parents created) without holding it in memory; return the path.

        The destination is replaced atomically, so a failed download never leaves a truncated file behind.
        """

    @abstractmethod
    def local_file(self, zone: str, path: str) -> AbstractContextManager[Path]:
        """Context manager yielding a local file path with the object's content, for read-only use.

        Local backend: the stored file itself (no copy; do not modify or delete it). Azure: a temporary
        download, keeping the original file name, removed when the block exits.
        Raises :class:`ObjectNotFound` on entry if the object is absent.
        """

    # --- writing ---------------------------------------------------------------------------------------
    @abstractmethod
    def write_bytes(self, zone: str, path: str, data: bytes, *, overwrite: bool = True) -> ObjectInfo:
        """Store ``data`` at ``zone``/``path`` atomically; return the new object's metadata.

        With ``overwrite=False`` raises :class:`ObjectExists` if the object is already there (checked
        atomically by the backend, so two writers cannot both win).
        """

    def write_text(
        self, zone: str, path: str, text: str, *, encoding: str = "utf-8", overwrite: bool = True
    ) -> ObjectInfo:
        """Store ``text`` encoded with ``encoding`` (UTF-8 by default); see :meth:`write_bytes`."""
        return self.write_bytes(zone, path, text.encode(encoding), overwrite=overwrite)

    @abstractmethod
    def upload_file(
        self, zone: str, path: str, local_path: str | Path, *, overwrite: bool = True
    ) -> ObjectInfo:
        """Stream a local file into ``zone``/``path`` atomically; same overwrite rule as :meth:`write_bytes`."""

    def publish_file(self, zone: str, path: str, local_path: str | Path) -> ObjectInfo:
        """Publish a snapshot of a local file (typically the DuckDB warehouse) to ``zone``/``path``,
        replacing any previous snapshot atomically.

        The caller must make sure nothing writes the file while it is copied (e.g. run after dbt, in the
        warehouse concurrency pool). Local backend: if ``local_path`` already *is* the stored file (the
        warehouse working copy lives in the warehouse zone) nothing is copied.
        """
        return self.upload_file(zone, path, local_path, overwrite=True)

    @abstractmethod
    def move(
        self, src_zone: str, src_path: str, dst_zone: str, dst_path: str, *, overwrite: bool = True
    ) -> ObjectInfo:
        """Move an object (e.g. landing -> archive); return the destination's metadata.

        Copy first, then delete the source, so a failure at any point leaves at least one complete copy:
        the object is never lost. With ``overwrite=False`` raises :class:`ObjectExists` (and keeps the
        source) if the destination exists.
        """

    @abstractmethod
    def delete(self, zone: str, path: str, *, missing_ok: bool = False) -> None:
        """Delete one object. Raises :class:`ObjectNotFound` if absent, unless ``missing_ok``."""

    # --- zones, Delta, DuckDB --------------------------------------------------------------------------
    @abstractmethod
    def ensure_zones(self) -> None:
        """Create every zone's folder or container, and the local warehouse folder. Idempotent."""

    @abstractmethod
    def delta_uri(self, table_path: str, *, zone: str = "lake") -> str:
        """URI of the Delta table ``table_path`` (e.g. ``bronze/police_occurrences``) in ``zone`` (the lake,
        or ``marts`` for published tables); an empty ``table_path`` gives the zone's root URI,
        for deltalake, ``polars.write_delta``/``read_delta`` and dbt-duckdb's delta plugin, always
        together with :meth:`delta_storage_options`."""

    @abstractmethod
    def delta_storage_options(self) -> dict[str, str]:
        """``storage_options`` for deltalake matching :meth:`delta_uri` (empty for the local backend).

        Contains credentials: pass it to the library, never log it. Fetch it right before use rather than
        caching it, because token-based credentials expire.
        """

    @abstractmethod
    def describe(self) -> str:
        """One-line human description of where data lives. Never contains keys, tokens or connection
        strings, so it is safe for logs and the UI."""

    def local_warehouse_path(self) -> Path:
        """Path of dbt's DuckDB file, ``VRLAKE_HOME/warehouse/vrlake.duckdb``, on both backends.

        DuckDB needs a local file (it cannot open a database in blob storage). On the local backend this is
        the warehouse zone itself; on Azure it is a local working copy, and :meth:`publish_file` puts
        snapshots of it in the ``warehouse`` container. The parent folder is created if missing.
        """
        path = self.settings.home / WAREHOUSE / WAREHOUSE_FILENAME
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()})"
