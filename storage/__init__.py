"""Zone-addressed storage for vrlake: one API over a local folder or Azure Blob Storage.

Typical use::

    from storage import LANDING, open_store

    store = open_store()  # backend from environment variables, see storage.settings
    for obj in store.list(LANDING, "police/"):
        with store.local_file(LANDING, obj.path) as path:
            ...

Pure Python, no Dagster import. :class:`~storage.azure.AzureStore` is imported lazily (``storage.AzureStore``
still works) so that importing this package does not load the Azure SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from storage.factory import open_store
from storage.local import LocalStore
from storage.settings import ENV_VARS, StorageSettings, redact_url
from storage.store import (
    ObjectExists,
    ObjectInfo,
    ObjectNotFound,
    StorageConfigError,
    StorageError,
    Store,
    ZoneNotFound,
)
from storage.zones import (
    ARCHIVE,
    IDENTIFIABLE_ZONES,
    LAKE,
    LANDING,
    MARTS,
    QUARANTINE,
    REPORTS,
    WAREHOUSE,
    WAREHOUSE_FILENAME,
    ZONES,
    Zone,
    check_path,
    check_zone,
    is_identifiable,
)

if TYPE_CHECKING:
    from storage.azure import AzureStore

__all__ = [
    "ARCHIVE",
    "ENV_VARS",
    "IDENTIFIABLE_ZONES",
    "LAKE",
    "LANDING",
    "MARTS",
    "QUARANTINE",
    "REPORTS",
    "WAREHOUSE",
    "WAREHOUSE_FILENAME",
    "ZONES",
    "AzureStore",
    "LocalStore",
    "ObjectExists",
    "ObjectInfo",
    "ObjectNotFound",
    "StorageConfigError",
    "StorageError",
    "StorageSettings",
    "Store",
    "Zone",
    "ZoneNotFound",
    "check_path",
    "check_zone",
    "is_identifiable",
    "open_store",
    "redact_url",
]


def __getattr__(name: str) -> Any:
    if name == "AzureStore":
        from storage.azure import AzureStore

        return AzureStore
    raise AttributeError(f"module 'storage' has no attribute {name!r}")
