"""The DuckDB connection Splink runs on: bounded threads and memory, spilling to a private temporary folder.

Linkage runs on small shared machines (2 cores) next to Dagster and dbt, so the connection is sized explicitly
rather than taking every core and 80% of RAM as DuckDB would by default. Settings come from the caller (who reads
them from the environment), never from ``os.environ`` here.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from splink.internals.duckdb.database_api import DuckDBAPI
    from splink.internals.splink_dataframe import SplinkDataFrame

SPLINK_LOGGER = "splink"


@dataclass(frozen=True)
class EngineSettings:
    """How much of the machine linkage may use. ``None`` leaves DuckDB's default."""

    threads: int | None = None
    memory_limit: str | None = "12GB"
    quiet: bool = True

    @classmethod
    def from_env(cls, env: dict[str, str] | Any) -> EngineSettings:
        """``VRLAKE_LINKAGE_THREADS`` and ``VRLAKE_LINKAGE_MEMORY`` (e.g. ``8GB``), both optional."""
        threads = env.get("VRLAKE_LINKAGE_THREADS", "").strip()
        memory = env.get("VRLAKE_LINKAGE_MEMORY", "").strip()
        return cls(threads=int(threads) if threads else None, memory_limit=memory or cls.memory_limit)


@contextmanager
def duckdb_api(settings: EngineSettings | None = None) -> Iterator[DuckDBAPI]:
    """A fresh in-memory DuckDB for one linkage job, closed (and its spill folder removed) on exit."""
    import duckdb
    from splink import DuckDBAPI

    settings = settings or EngineSettings()
    if settings.quiet:
        # Splink logs every step at INFO and every level EM did not observe at WARNING; training floors those
        # (see train.floor_probabilities), so both are noise in Dagster logs and CLI output.
        logging.getLogger(SPLINK_LOGGER).setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="vrlake-linkage-") as spill:
        con = duckdb.connect(":memory:")
        try:
            con.execute("SET enable_progress_bar = false")
            con.execute("SET preserve_insertion_order = false")
            con.execute(f"SET temp_directory = '{_sql_string(spill)}'")
            if settings.threads:
                con.execute(f"SET threads = {int(settings.threads)}")
            if settings.memory_limit:
                con.execute(f"SET memory_limit = '{_sql_string(settings.memory_limit)}'")
            yield DuckDBAPI(connection=con)
        finally:
            con.close()


def _sql_string(value: str) -> str:
    # DuckDB's SET does not accept prepared parameters; these values come from configuration, not from data,
    # and are quoted here so a stray quote cannot end the literal.
    return value.replace("'", "''")


def register(db: DuckDBAPI, frame: pl.DataFrame, name: str) -> SplinkDataFrame:
    """Register a polars frame with Splink under ``name`` (via Arrow: no copy into Python objects)."""
    return db.register(frame.to_arrow(), dataset_display_name=name)
