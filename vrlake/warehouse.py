"""The DuckDB warehouse: the environment dbt needs, and read-only access for everyone else.

dbt is the only writer of the warehouse file. Publishing and reports open it read-only, inside the same Dagster
concurrency pool as dbt, so a reader never holds the file while dbt writes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from storage import Store

WAREHOUSE_POOL = "warehouse"
DELTA_OPTION_VARIABLES = {
    "account_name": "VRLAKE_DELTA_ACCOUNT_NAME",
    "account_key": "VRLAKE_DELTA_ACCOUNT_KEY",
    "endpoint": "VRLAKE_DELTA_ENDPOINT",
    "sas_token": "VRLAKE_DELTA_SAS_TOKEN",
    "bearer_token": "VRLAKE_DELTA_BEARER_TOKEN",
}


def dbt_environment(store: Store) -> dict[str, str]:
    """Environment variables read by `dbt_project/profiles.yml` and the sources (all have safe defaults there)."""
    options = store.delta_storage_options()
    warehouse = store.local_warehouse_path()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    environment = {"VRLAKE_WAREHOUSE_PATH": str(warehouse), "VRLAKE_LAKE_URI": store.delta_uri("").rstrip("/")}
    # Credentials go to the profile (never into source YAML, which dbt writes to target/manifest.json).
    environment.update({variable: options.get(option, "") for option, variable in DELTA_OPTION_VARIABLES.items()})
    return environment


@contextmanager
def read_only_warehouse(store: Store) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the warehouse dbt built (raises if dbt has not built it yet)."""
    path = store.local_warehouse_path()
    if not path.exists():
        raise FileNotFoundError(f"the warehouse {path} has not been built yet: run the dbt assets first")
    connection = duckdb.connect(str(path), read_only=True)
    try:
        yield connection
    finally:
        connection.close()
