"""A real `dagster dev` (webserver + daemon) in a subprocess for end-to-end tests, and a small GraphQL client.

Shared by the end-to-end tests (``from tests.e2e.dagster_dev import ...``); deliberately not a conftest, so
the fixtures each test builds from it have no name clashes. Everything started here runs in its own process
session and is stopped on exit, failure included: SIGTERM to the group (dagster dev shuts its webserver,
daemon, code server and run workers down), then SIGKILL to anything of ours still alive.

The dbt project is copied to a temporary folder (``VRLAKE_DBT_PROJECT_DIR``, as a deployment would point at
its installed copy) and parsed there, so that `dagster dev`, which re-parses the project in every process that
imports the code location, never writes into the checkout and is not affected by concurrent edits of
``dbt_project/``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

import psutil

from tests.azurite import HOST, free_port
from vrlake.paths import DBT_PROJECT_ENV, repo_root

T = TypeVar("T")

LOCATION_NAME: Final = "vrlake"  # workspace.yaml
REPOSITORY_NAME: Final = "__repository__"  # what @dg.definitions produces
STARTUP_TIMEOUT_S: Final = 240.0
STOP_TIMEOUT_S: Final = 30.0
POLL_INTERVAL_S: Final = 2.0
FINISHED_STATUSES: Final = frozenset({"SUCCESS", "FAILURE", "CANCELED"})
# Variables of the developer's shell that would point a test's Dagster at the developer's own lake/instance.
_INHERITED_PREFIXES: Final = ("VRLAKE_", "DAGSTER_")
VENV_BIN: Final = Path(sys.executable).parent
"""Where `dagster`, `dbt` and `vrlake` of this environment live."""

RUNS_QUERY: Final = """
query Runs($filter: RunsFilter) {
  runsOrError(filter: $filter, limit: 50) {
    __typename
    ... on Runs { results { runId jobName status creationTime tags { key value } } }
    ... on PythonError { message }
  }
}
"""
RUN_FAILURES_QUERY: Final = """
query Failures($runId: ID!) {
  logsForRun(runId: $runId, limit: 5000) {
    ... on EventConnection {
      events {
        __typename
        ... on ExecutionStepFailureEvent { stepKey error { message } }
        ... on RunFailureEvent { message }
      }
    }
  }
}
"""
MATERIALIZATIONS_QUERY: Final = """
query Materializations($assetKey: AssetKeyInput!) {
  assetOrError(assetKey: $assetKey) {
    __typename
    ... on Asset { assetMaterializations(limit: 1) { runId timestamp } }
  }
}
"""
WORKSPACE_QUERY: Final = """
{
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError { __typename ... on PythonError { message } }
      }
    }
  }
}
"""
SENSOR_QUERY: Final = """
query Sensor($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    __typename
    ... on Sensor {
      sensorState { id status ticks(limit: 3) { status skipReason error { message } runIds } }
    }
  }
}
"""

STOP_SENSOR_MUTATION: Final = """
mutation StopSensor($id: String!) {
  stopSensor(id: $id) {
    __typename
    ... on StopSensorMutationResult { instigationState { status } }
    ... on PythonError { message }
  }
}
"""


class DagsterDevError(RuntimeError):
    """dagster dev did not start, died, or did not reach an expected state in time (with the log tail)."""


def clean_environment(overrides: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without vrlake/Dagster settings, plus ``overrides``; the venv's bin first on
    PATH so `dagster`, `dbt` and `vrlake` resolve to this checkout's environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED_PREFIXES)}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(overrides)
    return env


def prepare_dbt_project(destination: Path) -> Path:
    """Copy ``dbt_project/`` (without target/, logs/) to ``destination``, parse it there; return the copy.

    Set ``VRLAKE_DBT_PROJECT_DIR`` to the result in every environment that imports the code location.
    """
    source = repo_root() / "dbt_project"
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    completed = subprocess.run(
        [
            str(VENV_BIN / "dbt"),
            "parse",
            "--quiet",
            "--project-dir",
            str(destination),
            "--profiles-dir",
            str(destination),
        ],
        cwd=destination,
        env=clean_environment({}),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if completed.returncode != 0 or not (destination / "target" / "manifest.json").exists():
        raise DagsterDevError(
            f"dbt parse failed in {destination}:\n{completed.stdout[-3000:]}{completed.stderr[-2000:]}"
        )
    return destination


def write_instance_config(dagster_home: Path) -> None:
    """A minimal instance: default SQLite storage under ``dagster_home``, telemetry off (no network here)."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")


@dataclass
class DagsterDev:
    """A running `dagster dev`: its URL, process and log, and GraphQL helpers with bounded waits."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    # --- GraphQL -----------------------------------------------------------------------------------------
    def graphql(
        self, query: str, variables: Mapping[str, Any] | None = None, *, timeout: float = 30
    ) -> dict[str, Any]:
        body = json.dumps({"query": query, "variables": dict(variables or {})}).encode("utf-8")
        request = urllib.request.Request(
            f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = json.loads(response.read())
        if payload.get("errors"):
            raise DagsterDevError(f"GraphQL errors: {payload['errors']}")
        return payload["data"]

    def location_status(self) -> tuple[str, str | None]:
        """(load status, error message) of the vrlake code location; ("ABSENT", None) before it registers."""
        workspace = self.graphql(WORKSPACE_QUERY)["workspaceOrError"]
        for entry in workspace.get("locationEntries", []):
            if entry["name"] == LOCATION_NAME:
                error = entry["locationOrLoadError"] or {}
                return entry["loadStatus"], error.get("message")
        return "ABSENT", None

    def runs(
        self, *, job_name: str | None = None, tags: Mapping[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """Runs, newest first, optionally filtered by job and tags."""
        run_filter: dict[str, Any] = {}
        if job_name:
            run_filter["pipelineName"] = job_name
        if tags:
            run_filter["tags"] = [{"key": k, "value": v} for k, v in tags.items()]
        result = self.graphql(RUNS_QUERY, {"filter": run_filter})["runsOrError"]
        if result["__typename"] != "Runs":
            raise DagsterDevError(f"runsOrError: {result}")
        return result["results"]

    def run_failures(self, run_id: str) -> list[str]:
        """Plain messages of the failed steps of a run (for assertion messages)."""
        events = self.graphql(RUN_FAILURES_QUERY, {"runId": run_id})["logsForRun"].get("events", [])
        messages = []
        for event in events:
            if event["__typename"] == "ExecutionStepFailureEvent":
                messages.append(f"{event['stepKey']}: {(event.get('error') or {}).get('message', '')[:1500]}")
            elif event["__typename"] == "RunFailureEvent":
                messages.append(event.get("message", ""))
        return messages

    def latest_materialization(self, asset_key: list[str]) -> dict[str, Any] | None:
        """The newest materialisation event of an asset (runId, timestamp in ms), or None."""
        result = self.graphql(MATERIALIZATIONS_QUERY, {"assetKey": {"path": asset_key}})["assetOrError"]
        if result["__typename"] != "Asset":
            return None
        events = result["assetMaterializations"]
        return events[0] if events else None

    def sensor_ticks(self, sensor_name: str) -> dict[str, Any]:
        selector = {
            "repositoryLocationName": LOCATION_NAME,
            "repositoryName": REPOSITORY_NAME,
            "sensorName": sensor_name,
        }
        return self.graphql(SENSOR_QUERY, {"selector": selector})["sensorOrError"]

    def stop_sensor(self, sensor_name: str) -> None:
        """Turn a sensor off, as the toggle in the UI does (it stays off for this instance)."""
        sensor = self.sensor_ticks(sensor_name)
        if sensor["__typename"] != "Sensor":
            raise DagsterDevError(f"No sensor {sensor_name!r}: {sensor}")
        result = self.graphql(STOP_SENSOR_MUTATION, {"id": sensor["sensorState"]["id"]})["stopSensor"]
        if (
            result["__typename"] != "StopSensorMutationResult"
            or result["instigationState"]["status"] != "STOPPED"
        ):
            raise DagsterDevError(f"Could not stop sensor {sensor_name!r}: {result}")

    # --- waiting --------------------------------------------------------------------------------------------
    def wait_for(
        self,
        description: str,
        probe: Callable[[], T | None],
        *,
        timeout: float,
        interval: float = POLL_INTERVAL_S,
        diagnostics: Callable[[], str] | None = None,
    ) -> T:
        """Call ``probe`` until it returns something truthy, for at most ``timeout`` s; raise with context."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            value = probe()
            if value:
                return value
            if time.monotonic() >= deadline:
                extra = ""
                if diagnostics is not None:
                    try:
                        extra = "\n" + diagnostics()
                    except Exception as exc:  # noqa: BLE001 - diagnostics must never hide the timeout itself
                        extra = f"\n(diagnostics failed: {exc!r})"
                raise DagsterDevError(
                    f"Timed out after {timeout:.0f} s waiting for {description}.{extra}\n{self.log_tail()}"
                )
            time.sleep(interval)

    def wait_for_run(self, run_id: str, *, timeout: float) -> dict[str, Any]:
        """Wait until a run finishes; return it (status SUCCESS, FAILURE or CANCELED)."""

        def finished() -> dict[str, Any] | None:
            runs = self.graphql(RUNS_QUERY, {"filter": {"runIds": [run_id]}})["runsOrError"]["results"]
            return runs[0] if runs and runs[0]["status"] in FINISHED_STATUSES else None

        return self.wait_for(f"run {run_id} to finish", finished, timeout=timeout)

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise DagsterDevError(
                f"dagster dev exited with code {self.process.returncode}.\n{self.log_tail()}"
            )

    def log_tail(self, chars: int = 4000) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no dagster dev log)"
        return f"--- dagster dev log tail ({self.log_path}) ---\n{text[-chars:]}"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/server_info", timeout=2):
            return True
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop dagster dev and every process it started, even ones that left its process group."""
    try:
        family = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT_S)
        except ProcessLookupError:
            pass
    # Run workers and code servers normally exit with dagster dev; kill any that did not, by pid.
    _, alive = psutil.wait_procs(family, timeout=5)
    for child in alive:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=5)


@contextmanager
def run_dagster_dev(
    env: Mapping[str, str], log_path: Path, *, startup_timeout: float = STARTUP_TIMEOUT_S
) -> Iterator[DagsterDev]:
    """Start ``dagster dev -w workspace.yaml`` on a free loopback port with ``env``; yield once the vrlake
    code location has loaded; stop everything on exit.

    ``env`` must carry ``DAGSTER_HOME`` (see :func:`write_instance_config`) and the vrlake configuration.
    """
    if "DAGSTER_HOME" not in env:
        raise ValueError("run_dagster_dev needs DAGSTER_HOME in env")
    port = free_port()
    url = f"http://{HOST}:{port}"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [str(VENV_BIN / "dagster"), "dev", "-w", "workspace.yaml", "-h", HOST, "-p", str(port)],
            cwd=repo_root(),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    dev = DagsterDev(url=url, process=process, log_path=log_path)
    try:
        dev.wait_for(
            "the Dagster webserver to answer", lambda: _answers(url), timeout=startup_timeout, interval=1
        )

        def loaded() -> bool:
            status, error = dev.location_status()
            if error:
                raise DagsterDevError(f"The vrlake code location failed to load:\n{error}\n{dev.log_tail()}")
            return status == "LOADED"

        dev.wait_for("the vrlake code location to load", loaded, timeout=startup_timeout, interval=1)
        yield dev
    finally:
        _stop(process)


def dagster_dev_env(*, dagster_home: Path, dbt_project: Path, overrides: Mapping[str, str]) -> dict[str, str]:
    """The environment for `dagster dev` and for helper subprocesses of an end-to-end test."""
    return clean_environment(
        {"DAGSTER_HOME": str(dagster_home), DBT_PROJECT_ENV: str(dbt_project), **overrides}
    )
