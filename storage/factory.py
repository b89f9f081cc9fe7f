"""Choose the storage backend from configuration: the only place that maps settings to an implementation."""

from __future__ import annotations

from storage.settings import StorageSettings
from storage.store import Store


def open_store(settings: StorageSettings | None = None) -> Store:
    """Return the :class:`Store` for ``settings`` (default: :meth:`StorageSettings.from_env`).

    No network call is made here (zones are not created; call :meth:`Store.ensure_zones` at deployment or
    in tests), so it is safe to call while building Dagster resources.
    """
    if settings is None:
        settings = StorageSettings.from_env()
    if settings.backend == "azure":
        # Imported here: the Azure SDK adds ~0.5 s of imports that local runs (and Dagster start-up) skip.
        from storage.azure import AzureStore

        return AzureStore(settings)
    from storage.local import LocalStore

    return LocalStore(settings)
