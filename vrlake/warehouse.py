"""The DuckDB warehouse: the environment dbt needs, and read-only access for everyone else.

dbt is the only writer of the warehouse file. Publishing and reports open it read-only, inside the same Dagster
concurrency pool as dbt, so a reader never holds the file while dbt writes it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

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

ROUTINE_BUILD_EXCLUDE = ("resource_type:unit_test",)
"""What a refresh leaves out of `dbt build`: dbt unit tests check the project's SQL, not the data, so they run in
`make test` and CI (dbt's advice), not on every delivery. Data tests always run."""


def dbt_build_args(*, full_refresh: bool = False, variables: Mapping[str, Any] | None = None) -> list[str]:
    """The `dbt build` command line of a refresh, shared by the Dagster dbt asset and the benchmark.

    Builds every seed and model and runs every data test, but no unit test (``ROUTINE_BUILD_EXCLUDE``).
    Incremental models process only new deliveries unless ``full_refresh`` rebuilds them from bronze.
    ``variables`` override the project's vars for this run.
    """
    return [
        "build",
        "--exclude",
        *ROUTINE_BUILD_EXCLUDE,
        *(["--full-refresh"] if full_refresh else []),
        *(["--vars", json.dumps(dict(variables))] if variables else []),
    ]


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
