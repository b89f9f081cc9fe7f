"""Headless refresh: ingest every pending file and rebuild everything downstream, through the Dagster definitions.

This is what `vrlake run`, `make demo`, cron jobs and tests call. Runs are recorded in the Dagster instance at
`DAGSTER_HOME` when it is set, so they appear in the UI (`make ui`) afterwards.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from vrlake.dagster_home import ensure_dagster_home

from orchestration.defs.automation.jobs import REFRESH_ALL_JOB


@dataclass(frozen=True)
class RefreshResult:
    success: bool
    run_id: str
    failures: list[str]


def _instance() -> dg.DagsterInstance:
    if os.environ.get("DAGSTER_HOME"):
        ensure_dagster_home(Path(os.environ["DAGSTER_HOME"]))
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def refresh_all(*, full_refresh: bool = False, user: str | None = None) -> RefreshResult:
    """Materialise every asset once. Never raises for a failed step: the result carries plain-English reasons."""
    from orchestration.definitions import defs

    job = defs().resolve_job_def(REFRESH_ALL_JOB)
    run_config = {"ops": {"vrlake_dbt_models": {"config": {"full_refresh": full_refresh}}}}
    with _instance() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config=run_config,
            tags={"user": user or os.environ.get("USER", "unknown"), "vrlake/launched_by": "vrlake run"},
        )
    failures = []
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            error = event.step_failure_data.error
            cause = error.cause.message if error.cause else ""
            failures.append(f"{event.step_key}: {error.message.strip()} {cause.strip()}".strip())
    return RefreshResult(success=result.success, run_id=result.run_id, failures=failures)
