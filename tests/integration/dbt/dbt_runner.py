"""Run the real dbt CLI in tests, isolated from the repository's own target/ folder and from the caller's environment.

Shared by the dbt tests (hand-countable lakes) and the publishing tests (synthetic areas run end to end).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import duckdb

DBT_PROJECT: Final = "dbt_project"
DBT_TIMEOUT_S: Final = 600
WITHOUT_TESTS: Final = ("resource_type:test", "resource_type:unit_test")
"""`--exclude` selectors for a models-and-seeds-only build (when a test's verdicts come from another build)."""


@dataclass(frozen=True)
class DbtHome:
    """One isolated dbt environment: a lake, a warehouse file and dbt's target/log folders, all temporary."""

    root: Path
    lake_uri: str
    storage_options: Mapping[str, str]
    warehouse_path: Path | None = None

    @property
    def warehouse(self) -> Path:
        return self.warehouse_path or self.root / "warehouse" / "vrlake.duckdb"

    @property
    def target(self) -> Path:
        return self.root / "target"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VRLAKE_", "DBT_"))}
        env.update(VRLAKE_LAKE_URI=self.lake_uri, VRLAKE_WAREHOUSE_PATH=str(self.warehouse), **extra)
        return env


def run_dbt(
    project_dir: Path, args: Sequence[str], env: Mapping[str, str], target: Path
) -> subprocess.CompletedProcess[str]:
    """Run the real dbt CLI from the project directory, as dagster-dbt does (it starts dbt with cwd=project_dir),
    with its artefacts in ``target`` so tests never touch dbt_project/target."""
    dbt = Path(sys.executable).with_name("dbt")
    paths = ["--target-path", str(target), "--log-path", str(target / "logs")]
    return subprocess.run(
        [str(dbt), *args, "--project-dir", str(project_dir), "--profiles-dir", str(project_dir), *paths],
        cwd=project_dir,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=DBT_TIMEOUT_S,
        check=False,
    )


def output_tail(result: subprocess.CompletedProcess[str], lines: int = 80) -> str:
    return "\n".join((result.stdout + result.stderr).splitlines()[-lines:])


def build(
    project_dir: Path,
    home: DbtHome,
    *,
    exclude: Sequence[str] = (),
    variables: Mapping[str, Any] | None = None,
    **extra_env: str,
) -> subprocess.CompletedProcess[str]:
    """`dbt build` (optionally excluding selectors and overriding vars) into the home's warehouse."""
    import json

    home.warehouse.parent.mkdir(parents=True, exist_ok=True)
    args = ["build", *(["--exclude", *exclude] if exclude else [])]
    if variables:
        args += ["--vars", json.dumps(dict(variables))]
    return run_dbt(project_dir, args, home.env(**extra_env), home.target)


def query(warehouse: Path, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def failed_nodes(target: Path) -> list[str]:
    """Names of the nodes that failed or errored in the last run (from run_results.json), for assertion messages."""
    import json

    results = json.loads((target / "run_results.json").read_text())["results"]
    return [f"{r['unique_id']}: {r.get('message')}" for r in results if r["status"] in ("fail", "error")]
