"""dbt-duckdb source plugin that reads vrlake's Delta tables.

It is dbt-duckdb's built-in ``delta`` plugin (which reads through the ``deltalake`` package, so it works on local
folders and on Azure/Azurite without DuckDB extensions) with three additions:

1. A source names its table *relative to the lake* (``meta.delta_table: bronze/police_occurrences``); the lake root
   comes from the profile (``VRLAKE_LAKE_URI``). The manifest therefore holds no machine-specific path and a
   manifest prepared without environment variables is valid in every environment.
2. ``storage_options`` (Azure account, key, endpoint, SAS or bearer token) come from the profile. Values rendered
   in source YAML are written to ``target/manifest.json``; profile values are not. Blank values are dropped,
   because deltalake rejects an empty endpoint as an invalid URL, and ``allow_http`` is set for ``http://``
   endpoints (Azurite).
3. A source may declare ``meta.missing_ok_schema`` (column -> type); if its table does not exist yet (e.g. the
   linkage output before the first linkage run) the plugin returns an empty table with that schema instead of
   failing the whole build.

Guarantees: read-only (never writes to the lake); never logs storage options.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa
from dbt.adapters.duckdb.plugins import delta
from dbt.adapters.duckdb.utils import SourceConfig
from deltalake.exceptions import TableNotFoundError

log = logging.getLogger(__name__)

# Types a missing_ok_schema may use: the bronze/linkage/ops column types, by their Delta/Arrow names.
_ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}


def _has_scheme(uri: str) -> bool:
    return "://" in uri


class Plugin(delta.Plugin):
    """Profile config: ``lake_uri`` (required) and ``storage_options`` (optional mapping)."""

    def initialize(self, config: dict[str, Any]) -> None:
        lake_uri = str(config.get("lake_uri") or "").strip()
        if not lake_uri:
            raise ValueError("vrlake_delta plugin needs 'lake_uri' (set VRLAKE_LAKE_URI)")
        if not _has_scheme(lake_uri):
            # dbt runs from the project directory, so a relative default is relative to dbt_project/.
            lake_uri = str(Path(lake_uri).resolve())
        self._lake_uri = lake_uri.rstrip("/")
        options = {
            str(key): str(value).strip()
            for key, value in (config.get("storage_options") or {}).items()
            if value is not None and str(value).strip()
        }
        if options.get("endpoint", "").startswith("http://"):
            options.setdefault("allow_http", "true")
        self._storage_options = options

    def table_uri(self, source_config: SourceConfig) -> str:
        """Where a source's Delta table lives: an explicit ``delta_table_path`` wins over ``delta_table``."""
        if "delta_table_path" in source_config:
            return str(source_config["delta_table_path"])
        if "delta_table" not in source_config:
            raise ValueError(
                f"source {source_config.name}.{source_config.identifier} needs meta.delta_table "
                "(path relative to the lake, e.g. bronze/police_occurrences)"
            )
        return f"{self._lake_uri}/{str(source_config['delta_table']).strip('/')}"

    def load(self, source_config: SourceConfig) -> Any:
        meta = dict(source_config.meta)
        meta["delta_table_path"] = self.table_uri(source_config)
        meta["storage_options"] = {**self._storage_options, **(meta.get("storage_options") or {})}
        try:
            return super().load(replace(source_config, meta=meta))
        except TableNotFoundError:
            schema = meta.get("missing_ok_schema")
            if not schema:
                raise
            log.warning(
                "Delta table for source %s.%s does not exist yet; reading it as empty",
                source_config.name,
                source_config.identifier,
            )
            return pa.table({name: pa.array([], type=_ARROW_TYPES[kind]) for name, kind in schema.items()})
