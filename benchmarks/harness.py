"""The whole-pipeline benchmark behind `vrlake bench --scale S` (and `make bench`).

One run at one size, on a temporary ``VRLAKE_HOME`` and ``DAGSTER_HOME`` with a random per-run benchmark key:

1. synth: a synthetic area with ``months + 1`` months of partner files ending at ``DELIVERY_PERIOD``; the last
   month is held back as the daily delivery, the rest is the full history.
2. set-up: the lake's empty tables and the reference data (untimed in the totals, shown for completeness).
3. per feed, on the history files: the lower bound (DuckDB reading the raw files and writing Parquet) and
   vrlake's ingest + validate + pseudonymise (``ingest_file`` on every file), each in its own process.
4. linkage (the linkage package as the person-index asset calls it) and, when the linkage benchmark offers it,
   Splink on the same records in cleartext.
5. dbt build, publishing of every mart, the JSNA report with the disclosure scan.
6. the daily delivery: the held-back month's files dropped on top of the full history, then steps 3 to 5 again;
   its cost is reported as a share of the full build.

Every stage runs in a fresh interpreter (``python -m benchmarks.stages``), so its peak RSS is its own; the parent
reads it, with CPU time, from ``os.wait4``. Load averages are recorded because the machine is shared: ratios to
baselines measured in the same run are the comparable figures, absolute seconds are not.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from benchmarks.results import (
    BASELINE,
    DELIVERY,
    FAILED,
    FULL,
    NOT_AVAILABLE,
    OK,
    SETUP,
    SKIPPED,
    BenchRun,
    Curve,
    StageFigure,
)
from vrlake.paths import dbt_project_dir, repo_root

DELIVERY_PERIOD: Final = "2026-09"
"""The month delivered "today" on top of the history. Not a school-census month (January, May, October), whose
census snapshot of every pupil would be a termly bulk load rather than a daily delivery; and wholly in the past,
so no date in it is rejected as in the future."""
INGEST_TODAY: Final = "2026-10-01"
"""The date ingestion runs "on": the day after the delivered month, inside every sharing agreement's term."""
HISTORY_MONTHS: Final = 12
SEED: Final = 42

ALL_STAGES: Final = frozenset({"lower_bound", "ingest", "linkage", "linkage_baseline", "dbt", "publish", "report",
                               "delivery"})
"""Stages a run may include (synth and set-up always run). Tests and curves choose subsets."""

CLEARED_ENV_PREFIXES: Final = ("VRLAKE_AZURE_", "VRLAKE_KEYVAULT_", "VRLAKE_DELTA_")
CLEARED_ENV: Final = frozenset({"VRLAKE_HOME", "VRLAKE_STORAGE_BACKEND", "VRLAKE_PSEUDONYMISATION_KEY",
                                "VRLAKE_DEMO_MODE", "VRLAKE_SYNTH_TRUTH", "DAGSTER_HOME"})
"""The operator's storage, key and Dagster settings never reach a benchmark: it runs on its own temporary home."""
FAILURE_TAIL_LINES: Final = 12
FIGURE_KEYS: Final = ("seconds", "cpu_seconds", "rows", "available", "note", "peak_rss_mib")
"""Result keys that become a figure's own fields; the rest of a stage's result is kept as its details."""


@dataclass(frozen=True)
class Scale:
    """The size of one benchmark run."""

    name: str
    people: int
    months: int = HISTORY_MONTHS
    seed: int = SEED
    stages: frozenset[str] = ALL_STAGES
    description: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "people": self.people, "months": self.months, "seed": self.seed,
                "delivery_period": DELIVERY_PERIOD, "stages": sorted(self.stages), "description": self.description}


SCALES: Final = {
    "quick": Scale("quick", 20_000, description="CI-friendly: the demo's area, about 5 minutes on 2 shared cores"),
    "medium": Scale("medium", 200_000, description="a small VRU area"),
    # A large VRU area (issue 8): about 3M residents and five years of history. The synthetic area yields about
    # 0.73 partner rows per resident per year (the termly school census is 60% of them), so this is about 10.9M
    # partner rows. Five years of files: 59 months of history, then the delivered month.
    "force": Scale("force", 3_000_000, months=59,
                   description="a large VRU area: 3M residents, five years, about 10.9M partner rows"),
}
CURVES: Final = {
    "curve": (10_000, 20_000, 40_000),
    "curve-medium": (50_000, 100_000, 200_000),
    "curve-force": (250_000, 500_000, 1_000_000),
}
"""Sizes of the cost-versus-size runs; each size is a full build without the daily delivery. The quick sizes
show the fixed costs; growth is judged on the larger ones."""
CURVE_STAGES: Final = ALL_STAGES - {"delivery"}


def scale_names() -> list[str]:
    return [*SCALES, *CURVES]


@dataclass
class StageRun:
    """What one child process reported, and what the parent measured of it."""

    status: str
    result: dict[str, Any] = field(default_factory=dict)
    peak_rss_mib: float | None = None
    cpu_seconds: float | None = None
    load_average: float | None = None
    note: str = ""


class StageRunner:
    """Runs ``benchmarks.stages`` children one at a time on the benchmark's environment."""

    def __init__(
        self, work: Path, env: dict[str, str], progress: Callable[[str], None], failed_logs: Path | None = None
    ) -> None:
        self.work = work
        self.env = env
        self.progress = progress
        self.failed_logs = failed_logs
        self.count = 0
        self.loads: list[float] = []
        (work / "specs").mkdir(parents=True, exist_ok=True)
        (work / "logs").mkdir(parents=True, exist_ok=True)

    def run(self, stage: str, spec: dict[str, Any], description: str) -> StageRun:
        self.count += 1
        stem = f"{self.count:03d}-{stage}"
        spec_path = self.work / "specs" / f"{stem}.json"
        result_path = self.work / "specs" / f"{stem}.result.json"
        log_path = self.work / "logs" / f"{stem}.log"
        spec_path.write_text(json.dumps(spec), "utf-8")
        load = os.getloadavg()[0]
        self.loads.append(load)
        self.progress(description)
        with log_path.open("w", encoding="utf-8") as log:
            child = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.stages", stage, str(spec_path), str(result_path)],
                cwd=repo_root(), env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )
            # wait4 rather than Popen.wait: it returns this child's own resource usage, whose ru_maxrss covers the
            # child and the processes it waited for (dbt), and nothing from earlier stages.
            _, status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(status)
        figures = StageRun(status=OK, peak_rss_mib=usage.ru_maxrss / 1024, cpu_seconds=usage.ru_utime + usage.ru_stime,
                           load_average=round(load, 2))
        if child.returncode != 0 or not result_path.exists():
            lines = log_path.read_text("utf-8", errors="replace").strip().splitlines()
            # The first error line names the problem (DuckDB and dbt print context after it); the tail has the
            # traceback's last frames.
            errors = [line.strip() for line in lines if "Error" in line or "Exception" in line][:2]
            figures.status = FAILED
            figures.note = f"exit {child.returncode}: " + " / ".join([*errors, *lines[-FAILURE_TAIL_LINES:]])
            if self.failed_logs is not None:
                # The working folder is removed at the end; the whole log of a failure is worth keeping.
                self.failed_logs.mkdir(parents=True, exist_ok=True)
                kept = self.failed_logs / f"{self.work.name}-{log_path.name}"
                shutil.copyfile(log_path, kept)
                figures.note = f"{figures.note} (whole log: {kept})"
            return figures
        figures.result = json.loads(result_path.read_text("utf-8"))
        # A stage that measured its parts reset the kernel's high-water mark between them; its own overall figure
        # then covers what wait4 no longer can.
        reported = figures.result.get("peak_rss_mib")
        if isinstance(reported, (int, float)):
            figures.peak_rss_mib = max(figures.peak_rss_mib or 0.0, float(reported))
        if figures.result.get("available") is False:
            figures.status, figures.note = NOT_AVAILABLE, figures.result.get("note", "")
        return figures


def bench_environment(work: Path, key_hex: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every stage runs in: the caller's, minus its lake, key and Dagster home, plus the bench's."""
    env = {
        name: value
        for name, value in (os.environ if base is None else base).items()
        if name not in CLEARED_ENV and not name.startswith(CLEARED_ENV_PREFIXES)
    }
    env |= {
        "VRLAKE_HOME": str(work / "home"),
        "DAGSTER_HOME": str(work / "dagster"),
        "VRLAKE_STORAGE_BACKEND": "local",
        "VRLAKE_PSEUDONYMISATION_KEY": key_hex,
        "PYTHONUNBUFFERED": "1",
    }
    return env


def machine_info() -> dict[str, Any]:
    try:
        import psutil

        memory = round(psutil.virtual_memory().total / 1024**3, 1)
    except ImportError:
        memory = None
    return {"cpus": os.cpu_count(), "memory_gib": memory, "python": platform.python_version(),
            "platform": platform.platform(terse=True), "load_start": round(os.getloadavg()[0], 2)}


def _figure(stage: str, phase: str, run: StageRun, **extra: Any) -> StageFigure:
    result = run.result
    figure = StageFigure(
        stage=stage, phase=phase, status=run.status, seconds=result.get("seconds"),
        # The timed work's CPU when the stage measured it; otherwise the whole process's, start-up included.
        cpu_seconds=result.get("cpu_seconds", run.cpu_seconds),
        peak_rss_mib=run.peak_rss_mib, load_average=run.load_average, note=run.note, **extra,
    )
    if run.status != OK:
        figure.seconds = None
    return figure


def _by_feed(files: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    feeds: dict[str, list[dict[str, Any]]] = {}
    for file in sorted(files, key=lambda f: (f["feed"], f["period"] or "", f["landing_path"])):
        feeds.setdefault(file["feed"], []).append(file)
    return feeds


class Benchmark:
    """One benchmark run at one scale: the stages in order, the figures collected as they come."""

    def __init__(
        self, scale: Scale, work: Path, progress: Callable[[str], None], failed_logs: Path | None = None,
        reuse_synth: Path | None = None,
    ) -> None:
        self.scale = scale
        self.work = work
        self.reuse_synth = reuse_synth
        # An area generated earlier for this scale (generation is deterministic) is read in place, never changed.
        self.synth_dir = reuse_synth if reuse_synth is not None else work / "synth"
        self.truth_file = self.synth_dir / "truth.csv" if reuse_synth is not None else work / "truth" / "truth.csv"
        self.runner = StageRunner(work, bench_environment(work, secrets.token_hex(32)), progress, failed_logs)
        self.figures: list[StageFigure] = []
        self.notes: list[str] = []
        self.dbt_spec = {
            "project_dir": str(dbt_project_dir()),
            "target_path": str(work / "dbt-target"),
            "log_path": str(work / "dbt-logs"),
        }

    def wants(self, stage: str) -> bool:
        return stage in self.scale.stages

    def add(self, figure: StageFigure) -> StageFigure:
        self.figures.append(figure)
        return figure

    def find_setup(self, stage: str) -> StageFigure | None:
        return next((f for f in self.figures if f.stage == stage and f.phase == SETUP), None)

    def skip(self, stage: str, phase: str, reason: str, feed: str | None = None) -> StageFigure:
        return self.add(StageFigure(stage=stage, phase=phase, status=SKIPPED, feed=feed, note=reason))

    def run(self) -> BenchRun:
        started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        clock = time.perf_counter()
        machine = machine_info()
        synth = self.synth()
        if synth is not None:
            history = [f for f in synth["files"] if f["period"] != DELIVERY_PERIOD]
            delivery = [f for f in synth["files"] if f["period"] == DELIVERY_PERIOD]
            if self.setup(synth) and self.refresh(history, FULL) and self.wants("delivery"):
                self.refresh(delivery, DELIVERY)
        machine["load_end"] = round(os.getloadavg()[0], 2)
        loads = self.runner.loads
        machine["load_mean"] = round(sum(loads) / len(loads), 2) if loads else None
        self.notes.extend(self.standing_notes())
        return BenchRun(scale=self.scale.as_dict(), machine=machine, figures=self.figures, started_at=started_at,
                        wall_seconds=time.perf_counter() - clock, notes=self.notes)

    def synth(self) -> dict[str, Any] | None:
        out, truth = self.synth_dir, self.truth_file
        spec = {"people": self.scale.people, "seed": self.scale.seed, "months": self.scale.months + 1,
                "end_period": DELIVERY_PERIOD, "out": str(out), "truth": str(truth),
                "reuse": self.reuse_synth is not None}
        run = self.runner.run("synth", spec, f"synth: {self.scale.people:,} people, {self.scale.months + 1} months"
                              + (f" (reusing {out})" if self.reuse_synth is not None else ""))
        result = run.result
        figure = self.add(_figure("synth", SETUP, run, rows=result.get("rows"), bytes=result.get("bytes")))
        if result.get("reused"):
            figure.seconds = figure.cpu_seconds = None
            figure.note = f"reused the area generated earlier in {out}: generation not timed in this run"
        return result if run.status == OK else None

    def setup(self, synth: dict[str, Any]) -> bool:
        run = self.runner.run("setup", {"reference": synth["reference"]}, "lake set-up and reference data")
        self.add(_figure("setup", SETUP, run, rows=run.result.get("rows")))
        return run.status == OK

    def refresh(self, files: list[dict[str, Any]], phase: str) -> bool:
        """Ingest ``files`` and rebuild everything downstream; False when the full build cannot go on."""
        feeds = _by_feed(files)
        lower_bounds: dict[str, float] = {}
        if phase == FULL and self.wants("lower_bound"):
            run = self.runner.run("lower_bound", {"feeds": feeds, "work": str(self.work / "parquet")},
                                  f"lower bound (DuckDB raw → Parquet): {len(feeds)} feeds")
            for feed, feed_files in feeds.items():
                figure = self.add(self._feed_figure("lower_bound", BASELINE, run, feed, feed_files))
                if figure.measured:
                    lower_bounds[feed] = figure.seconds or 0.0
        if not self.wants("ingest"):
            return False
        run = self.runner.run("ingest", {"feeds": feeds, "run_id": f"bench-{phase}", "today": INGEST_TODAY},
                              f"ingest ({phase}): {len(files)} file(s) of {len(feeds)} feeds")
        for feed, feed_files in feeds.items():
            figure = self.add(self._feed_figure("ingest", phase, run, feed, feed_files))
            figure.baseline_seconds = lower_bounds.get(feed)
            figure.baseline = "lower_bound" if feed in lower_bounds else None
            part = run.result.get("feeds", {}).get(feed, {})
            figure.rows = part.get("rows_read", figure.rows)
            kept = ("rows_loaded", "rows_rejected", "statuses", "prepare_workers", "prepared_in")
            figure.details = {k: part[k] for k in kept if k in part}
            if part.get("quarantined"):
                figure.note = "quarantined: " + "; ".join(part["quarantined"])[:500]
        if run.status != OK:
            return False
        # A linkage failure is reported but does not stop the benchmark, so the other stages are still measured
        # (dbt builds on the person index the lake already has; a Dagster run would skip dbt instead).
        self.linkage(phase)
        return self.downstream(phase)

    @staticmethod
    def _feed_figure(
        stage: str, phase: str, run: StageRun, feed: str, files: list[dict[str, Any]]
    ) -> StageFigure:
        """One feed's part of a stage that handled every feed in one process."""
        part = run.result.get("feeds", {}).get(feed, {})
        figure = StageFigure(
            stage=stage, phase=phase, status=run.status, feed=feed, seconds=part.get("seconds"),
            cpu_seconds=part.get("cpu_seconds"), peak_rss_mib=part.get("peak_rss_mib") or run.peak_rss_mib,
            rows=sum(f["rows"] for f in files), bytes=sum(f["bytes"] for f in files),
            load_average=run.load_average, note=run.note,
        )
        if run.status == OK and not part:
            figure.status, figure.note = FAILED, "no figures for this feed"
        if figure.status != OK:
            figure.seconds = None
        return figure

    def linkage(self, phase: str) -> None:
        """The linkage stage and, in the full build, its cleartext baseline."""
        if not self.wants("linkage"):
            self.skip("linkage", phase, "not selected")
            return
        run = self.runner.run("linkage", {"run_id": f"bench-{phase}"}, f"linkage ({phase})")
        result = run.result
        details = {k: result[k] for k in ("mode", "trained", "new_records", "people", "gather_seconds",
                                          "train_seconds", "train_and_link_seconds", "link_seconds") if k in result}
        figure = self.add(_figure("linkage", phase, run, rows=result.get("records"), details=details))
        if phase == FULL and self.wants("linkage_baseline") and figure.measured:
            baseline = self.runner.run(
                "linkage_baseline",
                {"synth": str(self.synth_dir), "view": str(self.work / "synth-history"),
                 "truth": str(self.truth_file), "exclude_period": DELIVERY_PERIOD},
                "linkage baseline: Splink on the same records in cleartext",
            )
            base = self.add(_figure("linkage_baseline", BASELINE, baseline, rows=baseline.result.get("records"),
                                    details={k: v for k, v in baseline.result.items()
                                             if k not in (*FIGURE_KEYS, "records")}))
            if base.measured:
                figure.baseline_seconds, figure.baseline = base.seconds, "linkage_baseline"
            else:
                figure.note = f"cleartext baseline {base.status}: {base.note}"

    def parse_dbt_project(self) -> None:
        """Parse the dbt project once into the benchmark's target folder (set-up, not part of a refresh)."""
        run = self.runner.run("dbt_parse", self.dbt_spec, "dbt parse (once per deployment)")
        self.add(_figure("dbt_parse", SETUP, run))

    def downstream(self, phase: str) -> bool:
        """dbt build, publishing and the report, each only after the one before it ran and succeeded.

        False when a selected stage failed (the daily delivery then has nothing sound to build on); stages left
        out of the scale are recorded as skipped, which is not a failure.
        """
        steps = (("dbt", "dbt build"), ("publish", "publishing every mart"), ("report", "JSNA report + scan"))
        ready, sound = True, True
        for stage, description in steps:
            if not self.wants(stage):
                self.skip(stage, phase, "not selected")
                ready = False
                continue
            if not ready:
                self.skip(stage, phase, "needs the stage before it, which did not run or failed")
                continue
            if stage == "dbt" and self.find_setup("dbt_parse") is None:
                self.parse_dbt_project()
            run = self.runner.run(stage, self.dbt_spec, f"{description} ({phase})")
            result = run.result
            rows = result.get("rows") if stage == "publish" else None
            details = {k: v for k, v in result.items() if k not in FIGURE_KEYS}
            figure = self.add(_figure(stage, phase, run, rows=rows, details=details))
            ready = figure.status == OK
            sound = sound and figure.status != FAILED
        return sound

    def standing_notes(self) -> list[str]:
        notes = []
        if any(f.stage == "dbt" and f.phase == DELIVERY and f.measured for f in self.figures):
            notes.append(
                "On a delivery dbt copies and tests only the new deliveries in the incremental staging tables, "
                "but the person-level models and the marts downstream are rebuilt from all history (a person's "
                "age and home area, hotspot ranks and area totals can change with any delivery), and their tests "
                "check whole tables (see the delivery table)."
            )
        return notes


def run_benchmark(
    scale: Scale, *, progress: Callable[[str], None] = lambda _: None, work_root: Path | None = None,
    keep: bool = False, failed_logs: Path | None = None, reuse_synth: Path | None = None,
) -> BenchRun:
    """Run the benchmark at ``scale`` in a temporary folder (removed afterwards unless ``keep``).

    ``failed_logs``: where to copy the whole output of any stage that fails (the figures carry its last lines).
    ``reuse_synth``: a synthetic area generated earlier for this scale (a kept run's ``synth/`` with its
    ``truth.csv``), used in place of generating one; refused unless its manifest matches the scale.
    """
    work = Path(tempfile.mkdtemp(prefix=f"vrlake-bench-{scale.name}-", dir=work_root))
    try:
        result = Benchmark(scale, work, progress, failed_logs, reuse_synth).run()
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    if keep:
        result.notes.append(f"working folder kept: {work}")
    return result


def run_curve(
    name: str, sizes: Iterable[int], *, progress: Callable[[str], None] = lambda _: None,
    work_root: Path | None = None, stages: frozenset[str] = CURVE_STAGES, failed_logs: Path | None = None,
) -> Curve:
    """The full build at each size (no daily delivery), for the cost-versus-size fit."""
    runs = []
    for people in sizes:
        scale = Scale(f"{name}-{people}", people, stages=stages, description=f"{name}: one of several sizes")
        runs.append(run_benchmark(scale, progress=lambda text, p=people: progress(f"{p:,} people: {text}"),
                                  work_root=work_root, failed_logs=failed_logs))
    return Curve(runs=runs, name=name)


def resolve_scale(name: str) -> Scale | tuple[int, ...]:
    """A named scale, a curve's sizes, or ``people=N`` for an ad-hoc size."""
    if name in SCALES:
        return SCALES[name]
    if name in CURVES:
        return CURVES[name]
    if name.isdigit():
        return Scale(f"{int(name):,}-people", int(name))
    raise ValueError(f"unknown scale {name!r}: choose one of {', '.join(scale_names())} or a number of people")
