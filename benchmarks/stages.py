"""One benchmark stage per fresh interpreter: what `benchmarks.harness` runs in each child process.

    python -m benchmarks.stages STAGE SPEC.json RESULT.json

The child reads its parameters from ``SPEC.json``, does the stage's work, and writes its figures to
``RESULT.json``. Each stage runs in its own interpreter so that the peak resident memory the parent measures
(``os.wait4``) belongs to that stage alone, including any grandchild such as the dbt CLI. ``seconds`` always
excludes interpreter start-up and imports, which a long-lived Dagster step would not pay per delivery.

The storage zones, keys and dbt settings come from the environment the harness sets (a temporary ``VRLAKE_HOME``
and a per-run benchmark key): nothing here chooses an environment. Stages call the same pure functions as the
Dagster assets (``ingest_files``, the ``linkage`` package, the dbt CLI, ``publish_mart``, ``write_report``), so
the figures are the pipeline's cost without Dagster's step overhead.
"""

from __future__ import annotations

import codecs
import dataclasses
import datetime as dt
import json
import os
import re
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

FILE_NAME = re.compile(r"^(?P<feed>[a-z_]+?)_(?P<period>\d{4}-\d{2})\.(?P<ext>csv|jsonl|xlsx)$")
"""Synthetic partner files are named ``<feed>_<YYYY-MM>.<ext>``, as partners are asked to name them."""

DBT_SUBPROCESS_TAIL = 4000
"""Characters of dbt's output kept when it fails (the reason is at the end)."""


def feed_of(name: str) -> str:
    """The feed a partner file belongs to, from its name; the bare stem when the name does not follow the rule."""
    match = FILE_NAME.match(name)
    return match["feed"] if match else Path(name).stem


def period_of(name: str) -> str | None:
    match = FILE_NAME.match(name)
    return match["period"] if match else None


def _cpu_seconds() -> float:
    """CPU seconds used so far by this process (every thread) and by the children it has waited for (dbt)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Clock:
    """Wall-clock and CPU seconds since it was started: a stage's timed work, start-up and imports excluded."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), _cpu_seconds()

    def seconds(self) -> float:
        return time.perf_counter() - self.wall

    def figures(self) -> dict[str, float]:
        return {"seconds": self.seconds(), "cpu_seconds": _cpu_seconds() - self.cpu}


def _store() -> Any:
    from storage import StorageSettings, open_store

    return open_store(StorageSettings.from_env())


def stage_synth(spec: dict[str, Any]) -> dict[str, Any]:
    """Generate the synthetic area: every partner's files for ``months`` months ending ``end_period``."""
    from synth.config import SynthConfig
    from synth.generate import generate

    out = Path(spec["out"])
    config = SynthConfig(people=spec["people"], seed=spec["seed"], months=spec["months"], end_period=spec["end_period"])
    clock = Clock()
    reused = spec.get("reuse", False)
    if reused:
        manifest = reused_synth_manifest(out, Path(spec["truth"]), config)
        paths = [out / relative for relative in manifest.get("files", {})]
    else:
        result = generate(config, out, Path(spec["truth"]))
        manifest, paths = result.manifest, result.files
    timed = clock.figures()
    rows_by_file: dict[str, int] = manifest.get("files", {})
    files = []
    for path in paths:
        relative = path.relative_to(out).as_posix()
        landing = path.relative_to(out / "landing").as_posix()
        files.append(
            {
                "path": str(path),
                "landing_path": landing,
                "feed": feed_of(path.name),
                "period": period_of(path.name),
                "rows": int(rows_by_file.get(relative, 0)),
                "bytes": path.stat().st_size,
            }
        )
    return {
        **timed,
        "rows": sum(f["rows"] for f in files),
        "bytes": sum(f["bytes"] for f in files),
        "files": files,
        "reference": str(out / "reference"),
        "periods": list(config.window.periods),
        "reused": bool(reused),
    }


def reused_synth_manifest(out: Path, truth: Path, config: Any) -> dict[str, Any]:
    """The manifest of an area generated earlier in ``out``, refused unless it is the one ``config`` would
    generate (same people, seed, months and end period: generation is deterministic per config) and complete."""
    path = out / "synth_manifest.json"
    if not path.is_file() or not truth.is_file():
        raise ValueError(f"{out} is not a synthetic area with its truth ({path.name} and {truth} are needed)")
    manifest = json.loads(path.read_text("utf-8"))
    wanted = {k: getattr(config, k) for k in ("people", "seed", "months", "end_period")}
    found = {k: manifest.get("parameters", {}).get(k) for k in wanted}
    if found != wanted:
        raise ValueError(f"{out} was generated with {found}, not this scale's {wanted}")
    missing = [name for name in manifest.get("files", {}) if not (out / name).is_file()]
    if missing:
        raise ValueError(f"{out} lacks {len(missing)} of its generated files, e.g. {missing[0]}")
    return manifest


def stage_setup(spec: dict[str, Any]) -> dict[str, Any]:
    """Create the lake's empty tables and load the reference data (areas, population, postcode lookup)."""
    from ingestors.lake_init import initialise_lake
    from ingestors.reference import load_reference
    from privacy.keys import load_master_key

    clock = Clock()
    store = _store()
    initialise_lake(store)
    loads = load_reference(store, Path(spec["reference"]), load_master_key(os.environ))
    return {**clock.figures(), "rows": sum(load.rows for load in loads)}


class PartMeter:
    """Seconds, CPU seconds and peak RSS of each part of a stage (one feed), in its process and the worker processes
    it starts (ingestion prepares files in them).

    The peak is Linux's VmHWM, reset before each part through ``/proc/self/clear_refs``. The reset also lowers
    what the parent later reads from ``os.wait4``, so the stage's overall peak is tracked here and reported too.
    Where the reset is not permitted the per-part peak is ``None`` and only the overall peak is meaningful.
    Worker processes' peaks are added (each one's VmHWM, read every 0.1 s while it runs): ``os.wait4`` reports only
    the largest single process, and workers run alongside their parent. Their peaks are added as if they coincided,
    so with workers the figure is an upper bound.
    """

    def __init__(self) -> None:
        self.overall_kib = 0
        self.can_reset = self._reset()
        self._workers = _WorkerPeaks()

    @staticmethod
    def _hwm_kib() -> int:
        peak = _process_hwm_kib("self")
        return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def _reset(self) -> bool:
        try:
            self.overall_kib = max(self.overall_kib, self._hwm_kib())
            Path("/proc/self/clear_refs").write_text("5", "utf-8")
        except OSError:
            return False
        return True

    def start(self) -> Clock:
        if self.can_reset:
            self._reset()
        self._workers.restart()
        return Clock()

    def stop(self, clock: Clock) -> dict[str, float | None]:
        peak = self._hwm_kib() + self._workers.stop()
        self.overall_kib = max(self.overall_kib, peak)
        return {**clock.figures(), "peak_rss_mib": peak / 1024 if self.can_reset else None}

    @property
    def overall_mib(self) -> float:
        return max(self.overall_kib, self._hwm_kib()) / 1024


class _WorkerPeaks:
    """The peak resident memory of each process started by this one, sampled from a background thread."""

    INTERVAL_SECONDS = 0.1

    def __init__(self) -> None:
        self._peaks: dict[int, int] = {}
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def restart(self) -> None:
        self.stop()
        self._peaks, self._stopping = {}, threading.Event()
        self._thread = threading.Thread(target=self._sample, name="bench-worker-peaks", daemon=True)
        self._thread.start()

    def stop(self) -> int:
        """Stop sampling; the sum of the workers' peaks in KiB."""
        if self._thread is not None:
            self._stopping.set()
            self._thread.join()
            self._thread = None
        return sum(self._peaks.values())

    def _sample(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stopping.wait(self.INTERVAL_SECONDS):
            for child in me.children(recursive=True):
                try:
                    peak = _process_hwm_kib(child.pid)
                except OSError:
                    continue  # it ended between the listing and the read
                if peak is not None:  # None: a process that has ended but not yet been waited for
                    self._peaks[child.pid] = max(self._peaks.get(child.pid, 0), peak)


def _process_hwm_kib(pid: int | str) -> int | None:
    """A process's peak resident memory so far (Linux VmHWM), in KiB."""
    status = Path(f"/proc/{pid}/status").read_text("utf-8")
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match[1]) if match else None


def _csv_encoding(path: Path) -> str:
    """``utf-8``, or ``latin-1`` for a file that is not UTF-8 (partners' Windows-1252 exports).

    Found before the clock starts: the lower bound is DuckDB's parse-and-write speed given the file's encoding,
    which DuckDB does not detect itself (it stops at the first invalid byte). Latin-1 decodes every byte, so it
    parses a Windows-1252 file at the same cost.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 24), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


LOWER_BOUND_CSV = (
    "COPY (SELECT * FROM read_csv($1, header = true, all_varchar = true, encoding = $2)) TO $3 (FORMAT parquet)"
)
LOWER_BOUND_JSONL = "COPY (SELECT * FROM read_json($1, format = 'newline_delimited')) TO $2 (FORMAT parquet)"


def _lower_bound_one(connection: Any, path: Path, target: Path, encoding: str) -> None:
    """Parse ``path`` as text columns and write Parquet: the least any loader must do with the file."""
    if path.suffix == ".csv":
        connection.execute(LOWER_BOUND_CSV, [str(path), encoding, str(target)])
    elif path.suffix == ".jsonl":
        connection.execute(LOWER_BOUND_JSONL, [str(path), str(target)])
    else:
        # DuckDB reads workbooks only through its excel extension, which cannot be downloaded here; calamine
        # (fastexcel, what ingestion itself uses) into Arrow is the fastest parse available on this machine.
        import fastexcel

        sheet = fastexcel.read_excel(str(path)).load_sheet(0).to_arrow()
        connection.from_arrow(sheet).write_parquet(str(target))


def stage_lower_bound(spec: dict[str, Any]) -> dict[str, Any]:
    """The ingestion lower bound, per feed: DuckDB reading the feed's raw partner files and writing Parquet."""
    import duckdb

    work = Path(spec["work"])
    work.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect()
    connection.execute("SET threads = 2")
    meter = PartMeter()
    feeds: dict[str, Any] = {}
    for feed, files in spec["feeds"].items():
        paths = [Path(file["path"]) for file in files]
        encodings = [_csv_encoding(path) if path.suffix == ".csv" else "utf-8" for path in paths]
        started = meter.start()
        for index, (path, encoding) in enumerate(zip(paths, encodings, strict=True)):
            _lower_bound_one(connection, path, work / f"{feed}-{index}.parquet", encoding)
        feeds[feed] = meter.stop(started)
    connection.close()
    return _feed_totals(feeds, meter)


def _feed_totals(feeds: dict[str, Any], meter: PartMeter) -> dict[str, Any]:
    return {"seconds": sum(f["seconds"] for f in feeds.values()),
            "cpu_seconds": sum(f["cpu_seconds"] for f in feeds.values()), "feeds": feeds,
            "peak_rss_mib": meter.overall_mib}


def stage_ingest(spec: dict[str, Any]) -> dict[str, Any]:
    """Per feed: drop its files into landing (untimed, the partner's act), then ``ingest_files`` on them (timed).

    One process ingests every feed in turn, as a Dagster intake step ingests every file waiting for a partner (with
    ``VRLAKE_INGEST_WORKERS`` files prepared at once).
    """
    from ingestors.context import build_ingest_context
    from ingestors.ingest import ingest_files, prepares_in_processes

    store = _store()
    context = build_ingest_context(store, os.environ, run_id=spec.get("run_id", "bench"), user="vrlake bench")
    if spec.get("today"):
        # The synthetic periods are fixed, so "today" is too: the same files meet the same agreements whenever
        # the benchmark runs.
        context = dataclasses.replace(context, today=dt.date.fromisoformat(spec["today"]))
    meter = PartMeter()
    feeds: dict[str, Any] = {}
    for feed, files in spec["feeds"].items():
        for file in files:
            store.upload_file("landing", file["landing_path"], file["path"])
        in_processes = prepares_in_processes(context, len(files), sum(file["bytes"] for file in files))
        totals: dict[str, Any] = {"rows_read": 0, "rows_loaded": 0, "rows_rejected": 0, "statuses": {},
                                  "quarantined": [], "prepare_workers": context.prepare_workers,
                                  "prepared_in": "processes" if in_processes else "threads"}
        started = meter.start()
        for outcome in ingest_files(context, [file["landing_path"] for file in files]):
            for field in ("rows_read", "rows_loaded", "rows_rejected"):
                totals[field] += getattr(outcome.record, field)
            status = outcome.status.value
            totals["statuses"][status] = totals["statuses"].get(status, 0) + 1
            if status == "quarantined":
                totals["quarantined"].append(f"{outcome.record.source_file}: {outcome.explanation}")
        feeds[feed] = {**meter.stop(started), **totals}
    return _feed_totals(feeds, meter)


def linkage_entry_point() -> dict[str, Callable[..., Any]] | str:
    """The linkage package's functions the person-index asset calls, or why they cannot be imported."""
    try:
        from linkage.engine import EngineSettings
        from linkage.index import update_person_index
        from linkage.records import gather_records
        from linkage.train import NoModelError, load_model, save_model, train_model
    except ImportError as error:
        return f"linkage package not importable: {error}"
    return {
        "engine": EngineSettings.from_env,
        "gather_records": gather_records,
        "load_model": load_model,
        "save_model": save_model,
        "train_model": train_model,
        "update_person_index": update_person_index,
        "no_model_error": NoModelError,
    }


def stage_linkage(spec: dict[str, Any]) -> dict[str, Any]:
    """Link the lake's person records as the person-index asset does: train on first use, then link.

    The first run (the full build) trains and saves a model and links every record; later runs (the daily
    delivery) reuse the saved model and link only the new records against the index.
    """
    entry = linkage_entry_point()
    if isinstance(entry, str):
        return {"available": False, "note": entry}
    clock = Clock()
    store = _store()
    engine = entry["engine"](os.environ)
    records = entry["gather_records"](store)
    gathered = clock.seconds()
    if records.height < 2:
        return {"available": True, **clock.figures(), "records": records.height,
                "note": "fewer than two person records"}
    trained = False
    train_seconds = 0.0
    try:
        model = entry["load_model"](store)
    except entry["no_model_error"]:
        training = Clock()
        model = entry["train_model"](records, engine=engine)
        entry["save_model"](store, model)
        train_seconds = training.seconds()
        trained = True
    linking = Clock()
    update = entry["update_person_index"](store, records, model, engine=engine, run_id=spec.get("run_id", "bench"))
    link = linking.seconds() - update.seconds.get("write", 0.0)
    summary = update.summary()
    return {
        "available": True,
        **clock.figures(),
        "records": records.height,
        "new_records": summary.get("new_records"),
        "people": summary.get("people"),
        "mode": summary.get("mode"),
        "trained": trained,
        "gather_seconds": round(gathered, 2),
        "train_seconds": round(train_seconds, 2),
        # Training + scoring + clustering: what the cleartext baseline's time covers (no lake read or write).
        "train_and_link_seconds": round(train_seconds + link, 2),
        "link_seconds": {k: round(v, 2) for k, v in update.seconds.items()},
    }


CLEARTEXT_ARM = "cleartext"


def _history_view(synth: Path, view: Path, exclude_period: str | None) -> Path:
    """A synth folder holding only the files the full build ingested (links, no copies), plus the reference."""
    for source in (synth / "landing").rglob("*"):
        if source.is_file() and period_of(source.name) != exclude_period:
            target = view / "landing" / source.relative_to(synth / "landing")
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                target.symlink_to(source)
    if not (view / "reference").exists():
        (view / "reference").symlink_to(synth / "reference")
    return view


def stage_linkage_baseline(spec: dict[str, Any]) -> dict[str, Any]:
    """Splink on the same person records in cleartext: the cleartext arm of ``benchmarks/bench_linkage.py``.

    That arm reads the person rows ingestion loaded straight from the partner files, normalised but never
    tokenised, and trains and links them with a model equivalent to vrlake's (Jaro-Winkler on names instead of
    Dice on Bloom filters). Its ``seconds_total`` is training + linking; reading the records is excluded.
    """
    try:
        from benchmarks import bench_linkage
        from linkage.train import U_SAMPLE_PAIRS
    except ImportError as error:
        return {"available": False, "note": f"benchmarks/bench_linkage.py not importable ({error})"}
    run_arm = getattr(bench_linkage, "run_arm", None)
    if run_arm is None:
        return {"available": False, "note": "benchmarks/bench_linkage.py has no run_arm()"}
    view = _history_view(Path(spec["synth"]), Path(spec["view"]), spec.get("exclude_period"))
    prepared = {"synth": str(view), "truth": spec["truth"], "lake": os.environ.get("VRLAKE_HOME", "")}
    # The same u sample as the pseudonymised run (train_model's default), and the same thread setting.
    result = run_arm(CLEARTEXT_ARM, prepared, U_SAMPLE_PAIRS, None)
    quality = result.get("quality", {})
    return {
        "available": True,
        "seconds": result["seconds_total"],
        "records": result["records"],
        "train_seconds": result.get("seconds_train"),
        "link_seconds": result.get("seconds_link"),
        "read_seconds": result.get("seconds_records"),
        "blocked_comparisons": result.get("blocked_comparisons"),
        **{name: round(quality[name], 4) for name in ("f1", "precision", "recall") if name in quality},
    }


def _dbt(args: list[str], spec: dict[str, Any], env: dict[str, str]) -> dict[str, float]:
    project = spec["project_dir"]
    dbt = Path(sys.executable).parent / "dbt"
    command = [
        str(dbt) if dbt.exists() else "dbt", *args, "--project-dir", project, "--profiles-dir", project,
        # Outside the checkout, so a benchmark never overwrites the manifest Dagster and the tests use.
        "--target-path", spec["target_path"], "--log-path", spec["log_path"],
    ]
    clock = Clock()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False, cwd=project)
    timed = clock.figures()
    if done.returncode != 0:
        raise RuntimeError(f"dbt {args[0]} failed:\n{(done.stdout + done.stderr)[-DBT_SUBPROCESS_TAIL:]}")
    return timed


def stage_dbt_parse(spec: dict[str, Any]) -> dict[str, Any]:
    """``dbt parse``: once per deployment (``make`` prepares the manifest), so apart from every build's cost."""
    from vrlake.warehouse import dbt_environment

    return _dbt(["parse", "--quiet"], spec, {**os.environ, **dbt_environment(_store())})


def stage_dbt(spec: dict[str, Any]) -> dict[str, Any]:
    """The refresh's ``dbt build`` (``vrlake.warehouse.dbt_build_args``: every seed, model and data test, no unit
    test; incremental models take only new deliveries) with the environment the Dagster dbt step sets.

    Uses the manifest ``stage_dbt_parse`` prepared in the same target folder, as a deployment does.
    """
    from vrlake.warehouse import dbt_build_args, dbt_environment

    build = _dbt([*dbt_build_args(), "--quiet"], spec, {**os.environ, **dbt_environment(_store())})
    results = json.loads((Path(spec["target_path"]) / "run_results.json").read_text("utf-8"))
    nodes = results.get("results", [])
    counts: dict[str, int] = {}
    node_seconds: dict[str, float] = {}
    for result in nodes:
        kind = result["unique_id"].split(".", 1)[0]
        counts[kind] = counts.get(kind, 0) + 1
        node_seconds[kind] = node_seconds.get(kind, 0.0) + result.get("execution_time", 0.0)
    slowest = sorted(nodes, key=lambda r: r.get("execution_time", 0), reverse=True)[:5]
    return {
        **build,
        "nodes": counts,
        # Time inside nodes by kind; the rest of the build is dbt's own start-up, graph and adapter overhead.
        "node_seconds": {kind: round(value, 2) for kind, value in sorted(node_seconds.items())},
        "slowest": [f"{r['unique_id'].split('.')[-1]} {r.get('execution_time', 0):.2f}s" for r in slowest],
    }


def mart_relations(manifest_path: Path) -> list[tuple[str, str, str]]:
    """(name, schema, relation) of every model under ``models/marts/`` in a dbt manifest, sorted by name."""
    manifest = json.loads(manifest_path.read_text("utf-8"))
    marts = [
        (node["name"], node["schema"], node.get("alias") or node["name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]
    ]
    return sorted(marts)


def stage_publish(spec: dict[str, Any]) -> dict[str, Any]:
    """Publish every mart dbt built, as the publishing assets do: files rewritten only for marts whose content
    changed, every manifest refreshed."""
    from publishing.export import publish_mart, read_mart, xlsx_max_rows

    store = _store()
    marts = mart_relations(Path(spec["target_path"]) / "manifest.json")
    max_workbook_rows = xlsx_max_rows(os.environ)
    clock = Clock()
    rows = 0
    rewritten: list[str] = []
    workbooks = 0
    for name, schema, relation in marts:
        published = publish_mart(store, name, read_mart(store, relation, schema), max_workbook_rows=max_workbook_rows)
        rows += published.rows
        workbooks += "xlsx" in published.paths
        if published.rewritten:
            rewritten.append(name)
    return {**clock.figures(), "marts": len(marts), "rows": rows, "rewritten": len(rewritten),
            "unchanged": len(marts) - len(rewritten), "workbooks": workbooks}


def stage_report(spec: dict[str, Any]) -> dict[str, Any]:
    """Regenerate the JSNA report from the published marts, then the disclosure scan of everything published."""
    try:
        from publishing.disclosure_scan import DisclosureRule, scan_published
        from publishing.report import write_report
    except ImportError as error:
        return {"available": False, "note": f"publishing.report not importable: {error}"}
    from vrlake.paths import dbt_project_dir

    store = _store()
    clock = Clock()
    result = write_report(store, dbt_project_dir())
    written = clock.seconds()
    scan = scan_published(store, DisclosureRule.from_dbt_project(dbt_project_dir()))
    return {
        "available": True,
        **clock.figures(),
        "report_seconds": round(written, 2),
        "charts": result.charts,
        "bytes": result.bytes_written,
        "disclosure_scan_ok": scan.ok,
        "disclosure_scan": scan.summary(),
    }


STAGES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "synth": stage_synth,
    "setup": stage_setup,
    "lower_bound": stage_lower_bound,
    "ingest": stage_ingest,
    "linkage": stage_linkage,
    "linkage_baseline": stage_linkage_baseline,
    "dbt_parse": stage_dbt_parse,
    "dbt": stage_dbt,
    "publish": stage_publish,
    "report": stage_report,
}


def main(argv: list[str]) -> None:
    stage, spec_path, result_path = argv
    spec = json.loads(Path(spec_path).read_text("utf-8"))
    result = STAGES[stage](spec)
    Path(result_path).write_text(json.dumps(result, default=str), "utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
