"""The dbt project as Dagster assets: bronze -> staging -> conformed -> JSNA marts.

The manifest is prepared by the build (`make` runs `dbt parse` whenever a dbt file changes, including before
`make ui`) and explicitly in tests; it is never parsed when the code location is imported, because under `dagster dev`
that import happens again in every run and step process. dbt runs in the `warehouse` pool (limit 1) because DuckDB
allows one writer process.
"""


import datetime as dt
import os
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets
from pydantic import Field

from orchestration.defs.resources import VrlakeResource
from orchestration.lib.translator import VrlakeDbtTranslator
from vrlake.paths import dbt_project_dir
from vrlake.warehouse import WAREHOUSE_POOL, dbt_build_args, dbt_environment

DBT_PROJECT = DbtProject(project_dir=dbt_project_dir(), profiles_dir=dbt_project_dir())


class DbtBuildConfig(dg.Config):
    """Launchpad options for an analyst (all optional; the dbt project's defaults apply when left empty)."""

    full_refresh: bool = Field(default=False, description="Rebuild every model from scratch.")
    reporting_as_at: str = Field(
        default="", description="Report people's home area and age as at this date (YYYY-MM-DD); default: latest data."
    )
    ed_police_match_window_days: int | None = Field(
        default=None, description="Days either side of an ED assault within which a police record counts as known."
    )

    def dbt_args(self) -> list[str]:
        """The refresh's `dbt build` (unit tests left to CI) with this run's options."""
        overrides: dict[str, object] = {}
        if self.reporting_as_at:
            overrides["person_as_at_date"] = dt.date.fromisoformat(self.reporting_as_at).isoformat()
        if self.ed_police_match_window_days is not None:
            overrides["ed_police_match_window_days"] = self.ed_police_match_window_days
        return dbt_build_args(full_refresh=self.full_refresh, variables=overrides)


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=VrlakeDbtTranslator(),
    pool=WAREHOUSE_POOL,
    retry_policy=dg.RetryPolicy(max_retries=1, delay=10),
)
def vrlake_dbt_models(
    context: dg.AssetExecutionContext, config: DbtBuildConfig, dbt: DbtCliResource, vrlake: VrlakeResource
):
    # dbt reads its connection settings from the environment (profiles.yml); set them for this step's process only.
    os.environ.update(dbt_environment(vrlake.store))
    yield from dbt.cli(config.dbt_args(), context=context).stream()


# The dbt installed beside this interpreter, so runs work without the virtual environment on PATH.
_DBT_BESIDE_PYTHON = Path(sys.executable).parent / "dbt"
dbt_resource = DbtCliResource(
    project_dir=DBT_PROJECT, dbt_executable=str(_DBT_BESIDE_PYTHON) if _DBT_BESIDE_PYTHON.exists() else "dbt"
)
