"""The Dagster instance configuration vrlake needs: concurrency pools that keep DuckDB to one writer."""

from __future__ import annotations

from pathlib import Path

DAGSTER_YAML = """\
# Written by vrlake. Pools: `warehouse` (dbt and readers of its DuckDB file) and `lake_writers` (ingestion) run one
# step at a time, because DuckDB allows one writer process and ingestion appends to shared ledger tables.
concurrency:
  pools:
    default_limit: 1
telemetry:
  enabled: false
"""


def ensure_dagster_home(home: Path) -> Path:
    """Create `home` with vrlake's dagster.yaml unless the operator already wrote one (theirs wins)."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    return home
