"""Local-folder backend: every zone is a sub-folder of ``VRLAKE_HOME`` (the embedded default)."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Final

from storage.settings import StorageSettings
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

# Temporary files are created next to their destination (same file system, so the final rename is atomic)
# and carry this prefix so list() can hide a half-written file from sensors.
TMP_PREFIX: Final = ".vrlake-tmp-"
_COPY_CHUNK: Final = 1024 * 1024


class LocalStore(Store):
    """Zones as folders under ``settings.home``.

    Guarantees: writes go to a temporary file that is fsynced and then renamed into place, so readers
    never see partial content; ``overwrite=False`` uses a hard link, which fails atomically if the target
    exists. New files are readable by the owner only (mode 0600), because zones may hold personal data.
    Folders are never deleted, so a partner's empty drop folder stays in place.
    """

    def __init__(self, settings: StorageSettings) -> None:
        if settings.backend != "local":
            raise StorageConfigError(f"LocalStore needs backend 'local', got {settings.backend!r}")
        self.settings = settings
        self.root = settings.home

    # --- helpers ---------------------------------------------------------------------------------------
    def _zone_dir(self, zone: str) -> Path:
        directory = self.root / check_zone(zone)
        if not directory.is_dir():
            raise ZoneNotFound(zone, f"folder {directory}")
        return directory

    def _file(self, zone: str, path: str) -> Path:
        return self._zone_dir(zone) / check_path(path)

    def _existing_file(self, zone: str, path: str) -> Path:
        file = self._file(zone, path)
        # A folder is not an object: this keeps parity with blob storage, where folders do not exist.
        if not file.is_file():
            raise ObjectNotFound(zone, path, f"file {file}")
        return file

    @staticmethod
    def _info(zone: str, path: str, file: Path) -> ObjectInfo:
        stat = file.stat()
        return ObjectInfo(
            zone=zone,
            path=path,
            size=stat.st_size,
            # The inode changes on every atomic replace, so a rewrite with the same size within the
            # timestamp granularity still gets a new etag.
            etag=f"{stat.st_ino:x}-{stat.st_mtime_ns:x}-{stat.st_size:x}",
            # Computing an MD5 would mean reading every file on every list (lake folders hold thousands).
            content_md5=None,
            last_modified=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
        )

    def _atomic_write(
        self, zone: str, path: str, dest: Path, fill: Callable[[BinaryIO], None], *, overwrite: bool
    ) -> None:
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=TMP_PREFIX, dir=dest.parent)
        except OSError as exc:
            raise StorageError(f"Cannot write {path!r} in storage zone {zone!r}: {exc}") from exc
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as handle:
                fill(handle)
                handle.flush()
                os.fsync(handle.fileno())
            if overwrite:
                os.replace(tmp, dest)
            else:
                self._link_new(zone, path, tmp, dest)
        except StorageError:
            raise
        except OSError as exc:
            raise StorageError(f"Cannot write {path!r} in storage zone {zone!r}: {exc}") from exc
        finally:
            tmp.unlink(missing_ok=True)

    @staticmethod
    def _link_new(zone: str, path: str, source: Path, dest: Path) -> None:
        """Create ``dest`` as a hard link to ``source``; fails atomically if ``dest`` exists."""
        try:
            os.link(source, dest)
        except FileExistsError:
            raise ObjectExists(zone, path, f"file {dest}") from None

    # --- listing and reading -------------------------------------------------------------------------
    def list(self, zone: str, prefix: str = "") -> list[ObjectInfo]:
        base = self._zone_dir(zone)
        check_path(prefix, allow_empty=True)
        # Walk only the deepest folder the prefix names; the rest of the prefix filters file names.
        start = base / prefix.rsplit("/", 1)[0] if "/" in prefix else base
        if not start.is_dir():
            return []
        found: list[ObjectInfo] = []
        for dirpath, _dirnames, filenames in os.walk(start):
            for filename in filenames:
                if filename.startswith(TMP_PREFIX):
                    continue
                file = Path(dirpath, filename)
                rel = file.relative_to(base).as_posix()
                if not rel.startswith(prefix):
                    continue
                try:
                    found.append(self._info(zone, rel, file))
                except FileNotFoundError:
                    # Moved or deleted by another process between walk and stat: it is no longer listed.
                    continue
        return sorted(found, key=lambda info: info.path)

    def exists(self, zone: str, path: str) -> bool:
        return self._file(zone, path).is_file()

    def info(self, zone: str, path: str) -> ObjectInfo:
        return self._info(zone, path, self._existing_file(zone, path))

    def read_bytes(self, zone: str, path: str) -> bytes:
        file = self._existing_file(zone, path)
        try:
            return file.read_bytes()
        except FileNotFoundError:
            raise ObjectNotFound(zone, path, f"file {file}") from None
        except OSError as exc:
            raise StorageError(f"Cannot read {path!r} in storage zone {zone!r}: {exc}") from exc

    def download_to(self, zone: str, path: str, local_path: str | Path) -> Path:
        source = self._existing_file(zone, path)
        dest = Path(local_path)

        def fill(handle: BinaryIO) -> None:
            with source.open("rb") as src:
                shutil.copyfileobj(src, handle, _COPY_CHUNK)

        self._atomic_write(zone, path, dest, fill, overwrite=True)
        return dest

    @contextmanager
    def local_file(self, zone: str, path: str) -> Iterator[Path]:
        # The stored file itself: no copy, so reading a large landing file costs nothing extra.
        yield self._existing_file(zone, path)

    # --- writing ---------------------------------------------------------------------------------------
    def write_bytes(self, zone: str, path: str, data: bytes, *, overwrite: bool = True) -> ObjectInfo:
        dest = self._file(zone, path)
        self._atomic_write(zone, path, dest, lambda handle: handle.write(data), overwrite=overwrite)
        return self._info(zone, path, dest)

    def upload_file(
        self, zone: str, path: str, local_path: str | Path, *, overwrite: bool = True
    ) -> ObjectInfo:
        source = Path(local_path)
        if not source.is_file():
            raise StorageError(f"Cannot upload to {zone}/{path}: no local file {source}")
        dest = self._file(zone, path)

        def fill(handle: BinaryIO) -> None:
            with source.open("rb") as src:
                shutil.copyfileobj(src, handle, _COPY_CHUNK)

        self._atomic_write(zone, path, dest, fill, overwrite=overwrite)
        return self._info(zone, path, dest)

    def publish_file(self, zone: str, path: str, local_path: str | Path) -> ObjectInfo:
        dest = self._file(zone, path)
        source = Path(local_path)
        if dest.is_file() and source.is_file() and os.path.samefile(source, dest):
            # The warehouse working copy already is the zone file: copying it onto itself would be
            # pointless at best and truncate it at worst.
            return self._info(zone, path, dest)
        return self.upload_file(zone, path, source, overwrite=True)

    def move(
        self, src_zone: str, src_path: str, dst_zone: str, dst_path: str, *, overwrite: bool = True
    ) -> ObjectInfo:
        source = self._existing_file(src_zone, src_path)
        dest = self._file(dst_zone, dst_path)
        if (src_zone, src_path) == (dst_zone, dst_path):
            return self._info(dst_zone, dst_path, dest)
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            # Same file system: a rename (or link + unlink) never has a moment without a complete copy.
            if overwrite:
                os.replace(source, dest)
            else:
                self._link_new(dst_zone, dst_path, source, dest)
                source.unlink()
        except StorageError:
            raise
        except FileNotFoundError:
            raise ObjectNotFound(src_zone, src_path, f"file {source}") from None
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP):
                raise StorageError(
                    f"Cannot move {src_zone}/{src_path} to {dst_zone}/{dst_path}: {exc}"
                ) from exc
            # Zones on different file systems (or links unsupported): copy completely, then delete.
            self.upload_file(dst_zone, dst_path, source, overwrite=overwrite)
            source.unlink()
        return self._info(dst_zone, dst_path, dest)

    def delete(self, zone: str, path: str, *, missing_ok: bool = False) -> None:
        file = self._file(zone, path)
        if not file.is_file():
            if missing_ok:
                return
            raise ObjectNotFound(zone, path, f"file {file}")
        try:
            file.unlink(missing_ok=missing_ok)
        except FileNotFoundError:
            raise ObjectNotFound(zone, path, f"file {file}") from None
        except OSError as exc:
            raise StorageError(f"Cannot delete {path!r} in storage zone {zone!r}: {exc}") from exc

    # --- zones, Delta, DuckDB --------------------------------------------------------------------------
    def ensure_zones(self) -> None:
        try:
            for zone in ZONES:
                (self.root / zone).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"Cannot create storage zones under {self.root}: {exc}") from exc

    def delta_uri(self, table_path: str, *, zone: str = LAKE) -> str:
        # A plain absolute path: deltalake, polars and dbt-duckdb's delta plugin all accept it.
        return str((self.root / check_zone(zone) / (check_path(table_path) if table_path else "")).resolve())

    def delta_storage_options(self) -> dict[str, str]:
        return {}

    def describe(self) -> str:
        return f"local folder {self.root} (zones: {', '.join(ZONES)}; warehouse in {self.root / WAREHOUSE})"
