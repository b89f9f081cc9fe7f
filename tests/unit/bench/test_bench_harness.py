"""The benchmark harness at a tiny scale (real child processes, real ingestion), and its helpers.

The full pipeline (linkage, dbt, publishing, report) is left out here to keep the test fast; `make bench` runs it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from benchmarks.harness import (
    CURVES,
    DELIVERY_PERIOD,
    SCALES,
    Scale,
    bench_environment,
    resolve_scale,
    run_benchmark,
)
from benchmarks.results import BASELINE, DELIVERY, FULL, OK, SKIPPED, markdown_run, rich_run
from benchmarks.stages import _csv_encoding, feed_of, mart_relations, period_of

TINY = Scale("tiny", 300, months=2, stages=frozenset({"lower_bound", "ingest", "delivery"}))


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory):
    work_root = tmp_path_factory.mktemp("bench-work")
    return run_benchmark(TINY, work_root=work_root), work_root


def test_tiny_run_measures_every_feed_against_the_lower_bound(tiny_run):
    run, _ = tiny_run
    ingested = [f for f in run.figures if f.stage == "ingest" and f.phase == FULL]
    assert len(ingested) >= 5
    for figure in ingested:
        assert figure.status == OK, figure.note
        assert figure.seconds and figure.seconds > 0
        assert figure.rows and figure.rows > 0
        assert figure.baseline_seconds and figure.baseline_seconds > 0, f"{figure.feed} has no lower bound"
        assert figure.peak_rss_mib and figure.peak_rss_mib > 50
        assert figure.cpu_seconds is not None and figure.cpu_seconds > 0
        assert figure.details["rows_loaded"] + figure.details["rows_rejected"] == figure.rows
    lower = run.stage("lower_bound", BASELINE)
    assert lower.status == OK and lower.rows == sum(f.rows for f in ingested)


def test_tiny_run_delivers_only_the_held_back_month(tiny_run):
    run, _ = tiny_run
    delivered = [f for f in run.figures if f.stage == "ingest" and f.phase == DELIVERY]
    assert delivered and all(f.status == OK for f in delivered)
    full_rows = run.stage("ingest", FULL).rows
    assert 0 < run.stage("ingest", DELIVERY).rows < full_rows
    assert run.scale["delivery_period"] == DELIVERY_PERIOD


def test_stages_left_out_are_skipped_not_failed(tiny_run):
    run, _ = tiny_run
    for stage in ("linkage", "dbt", "publish", "report"):
        assert run.find(stage, FULL).status == SKIPPED
    full = run.pipeline(FULL)
    assert full.status == OK
    assert "without linkage, dbt, publish, report" in full.note
    delivery_target = next(t for t in run.targets() if t.name.startswith("daily delivery"))
    assert delivery_target.met is None  # a partial build is no evidence for the target


def test_tiny_run_outputs_table_json_and_markdown(tiny_run):
    run, _ = tiny_run
    data = json.loads(json.dumps(run.as_dict()))
    assert data["kind"] == "run" and data["scale"]["people"] == 300
    assert data["totals"]["ingest_full"]["ratio_to_baseline"] > 0
    text = markdown_run(run)
    assert "| ingest + validate + pseudonymise: police_nominals |" in text
    assert "DuckDB raw → Parquet (lower bound): all feeds" in text
    console = Console(record=True, width=220)
    console.print(rich_run(run))
    printed = console.export_text()
    assert "ingest + validate + pseudonymise: all feeds" in printed
    assert "dbt build (skipped)" in printed


def test_tiny_run_cleans_up_and_never_touches_the_operators_lake(tiny_run, monkeypatch, tmp_path):
    _, work_root = tiny_run
    assert list(work_root.iterdir()) == []  # the temporary home is removed afterwards
    env = bench_environment(tmp_path / "work", "ab" * 32, base={
        "VRLAKE_HOME": "/srv/real-lake", "VRLAKE_PSEUDONYMISATION_KEY": "real-key", "VRLAKE_DEMO_MODE": "1",
        "VRLAKE_AZURE_CONNECTION_STRING": "secret", "DAGSTER_HOME": "/srv/dagster", "VRLAKE_LINKAGE_THREADS": "2",
        "PATH": "/usr/bin",
    })
    assert env["VRLAKE_HOME"] == str(tmp_path / "work" / "home")
    assert env["DAGSTER_HOME"] == str(tmp_path / "work" / "dagster")
    assert env["VRLAKE_PSEUDONYMISATION_KEY"] == "ab" * 32
    assert "VRLAKE_AZURE_CONNECTION_STRING" not in env and "VRLAKE_DEMO_MODE" not in env
    assert env["VRLAKE_LINKAGE_THREADS"] == "2" and env["PATH"] == "/usr/bin"


def test_file_names_give_feed_and_period():
    assert feed_of("police_nominals_2026-09.csv") == "police_nominals"
    assert period_of("education_census_2026-05.xlsx") == "2026-05"
    assert feed_of("notes.txt") == "notes" and period_of("notes.txt") is None


def test_windows_1252_files_are_read_as_latin_1(tmp_path: Path):
    """Regression: DuckDB stopped at the first non-UTF-8 byte of the education exclusions (Windows-1252)."""
    cp1252 = tmp_path / "education_exclusions_2026-09.csv"
    cp1252.write_bytes("UPN;Surname\r\nA1;Marìa\r\n".encode("cp1252"))
    utf8 = tmp_path / "police_nominals_2026-09.csv"
    utf8.write_text("NominalID,Surname\n1,Zoë\n", "utf-8")
    assert _csv_encoding(cp1252) == "latin-1"
    assert _csv_encoding(utf8) == "utf-8"


def test_mart_relations_reads_only_marts_from_the_manifest(tmp_path: Path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"nodes": {
        "model.vrlake.mart_b": {"name": "mart_b", "resource_type": "model", "fqn": ["vrlake", "marts", "jsna", "mart_b"],
                                "schema": "main_marts", "alias": "mart_b"},
        "model.vrlake.dim_person": {"name": "dim_person", "resource_type": "model",
                                    "fqn": ["vrlake", "conformed", "dim_person"], "schema": "main_conformed"},
        "test.vrlake.t": {"name": "t", "resource_type": "test", "fqn": ["vrlake", "marts", "t"], "schema": "x"},
    }}))
    assert mart_relations(manifest) == [("mart_b", "main_marts", "mart_b")]


def test_scales():
    assert resolve_scale("quick") is SCALES["quick"]
    # The force area: a large VRU area (about 3M residents) over five years, about 10M partner rows.
    assert (SCALES["force"].people, SCALES["force"].months + 1) == (3_000_000, 60)
    assert resolve_scale("curve") == CURVES["curve"]
    assert resolve_scale("5000").people == 5_000
    with pytest.raises(ValueError, match="unknown scale"):
        resolve_scale("huge")


def test_command_refuses_an_unknown_scale(tmp_path: Path):
    import typer

    from vrlake.commands import bench

    app = typer.Typer()
    app.command()(bench.command)
    result = CliRunner().invoke(app, ["--scale", "huge", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "unknown scale" in result.output


def test_dbt_stage_runs_the_refresh_build_without_unit_tests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The measured delivery is honest only if the benchmark runs the product's own `dbt build` command line."""
    from benchmarks import stages
    from vrlake.warehouse import dbt_build_args

    seen: list[list[str]] = []

    def fake_dbt(args: list[str], spec: dict, env: dict) -> dict[str, float]:
        seen.append(args)
        return {"seconds": 0.0, "cpu_seconds": 0.0}

    monkeypatch.setattr(stages, "_dbt", fake_dbt)
    monkeypatch.setattr(stages, "_store", lambda: None)
    monkeypatch.setattr("vrlake.warehouse.dbt_environment", lambda store: {})
    (tmp_path / "run_results.json").write_text(json.dumps({"results": []}))
    stages.stage_dbt({"target_path": str(tmp_path)})
    assert seen == [[*dbt_build_args(), "--quiet"]]
    assert seen[0][:3] == ["build", "--exclude", "resource_type:unit_test"]


def test_a_synthetic_area_generated_earlier_is_reused_only_for_its_own_scale(tmp_path: Path):
    from benchmarks.stages import stage_synth

    spec = {"people": 300, "seed": 7, "months": 2, "end_period": "2026-09", "out": str(tmp_path / "area"),
            "truth": str(tmp_path / "area" / "truth.csv")}
    generated = stage_synth(spec)
    reused = stage_synth({**spec, "reuse": True})
    assert reused["reused"] and not generated["reused"]
    listed = [sorted((f["path"], f["rows"], f["period"]) for f in run["files"]) for run in (reused, generated)]
    assert listed[0] == listed[1] and len(listed[0]) >= 5
    with pytest.raises(ValueError, match="generated with"):
        stage_synth({**spec, "people": 400, "reuse": True})
    Path(generated["files"][0]["path"]).unlink()
    with pytest.raises(ValueError, match="lacks 1 of its generated files"):
        stage_synth({**spec, "reuse": True})


def test_every_stage_reads_the_reused_area_and_its_truth(tmp_path: Path):
    from benchmarks.harness import Benchmark

    area = tmp_path / "area"
    reused = Benchmark(SCALES["quick"], tmp_path / "work", lambda _: None, reuse_synth=area)
    fresh = Benchmark(SCALES["quick"], tmp_path / "work", lambda _: None)
    assert (reused.synth_dir, reused.truth_file) == (area, area / "truth.csv")
    assert (fresh.synth_dir, fresh.truth_file) == (tmp_path / "work" / "synth", tmp_path / "work" / "truth" / "truth.csv")


def test_a_parts_peak_memory_includes_the_worker_processes_it_started():
    """Ingestion prepares files in worker processes; a peak of the stage's own process alone would hide them."""
    import subprocess
    import sys

    from benchmarks.stages import PartMeter

    meter = PartMeter()
    alone = meter.stop(meter.start())["peak_rss_mib"]
    clock = meter.start()
    # A worker holding 300 MB for a second, like a worker preparing a large file.
    subprocess.run([sys.executable, "-c", "import time; held = bytearray(300 * 2**20); time.sleep(1)"], check=True)
    with_worker = meter.stop(clock)["peak_rss_mib"]
    if alone is None or with_worker is None:
        pytest.skip("this system does not let a process reset its peak memory")
    assert with_worker - alone >= 290
    assert meter.overall_mib >= with_worker
