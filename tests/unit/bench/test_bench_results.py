"""The benchmark's arithmetic and rendering: ratios, the delivery share, targets, the growth fit, JSON and markdown."""

from __future__ import annotations

import json

import pytest
from rich.console import Console

from benchmarks.results import (
    BASELINE,
    DELIVERY,
    FAILED,
    FULL,
    NOT_AVAILABLE,
    SETUP,
    BenchRun,
    Curve,
    StageFigure,
    fit,
    markdown_curve,
    markdown_run,
    rich_curve,
    rich_run,
)

MACHINE = {"cpus": 2, "memory_gib": 24.0, "python": "3.11", "platform": "Linux", "load_start": 1.0,
           "load_end": 1.0, "load_mean": 1.0}


def _run(people: int = 1_000, scale: float = 1.0, *, delivery_dbt: float = 40.0) -> BenchRun:
    """A complete run whose stage times grow with ``scale``; the delivery's dbt build costs ``delivery_dbt``."""
    figures = [
        StageFigure("synth", SETUP, seconds=2.0 * scale, rows=int(10_000 * scale), bytes=int(1e6 * scale)),
        StageFigure("lower_bound", BASELINE, feed="police_nominals", seconds=1.0 * scale, rows=int(6_000 * scale),
                    bytes=int(6e5 * scale)),
        StageFigure("lower_bound", BASELINE, feed="ed_attendances", seconds=1.0 * scale, rows=int(4_000 * scale),
                    bytes=int(4e5 * scale)),
        StageFigure("ingest", FULL, feed="police_nominals", seconds=1.5 * scale, rows=int(6_000 * scale),
                    bytes=int(6e5 * scale), baseline_seconds=1.0 * scale, baseline="lower_bound", peak_rss_mib=300),
        StageFigure("ingest", FULL, feed="ed_attendances", seconds=2.5 * scale, rows=int(4_000 * scale),
                    bytes=int(4e5 * scale), baseline_seconds=1.0 * scale, baseline="lower_bound", peak_rss_mib=500),
        StageFigure("linkage", FULL, seconds=30.0 * scale, rows=int(5_000 * scale), baseline_seconds=20.0 * scale,
                    baseline="linkage_baseline", details={"train_and_link_seconds": 25.0 * scale}),
        StageFigure("linkage_baseline", BASELINE, seconds=20.0 * scale, rows=int(5_000 * scale)),
        StageFigure("dbt", FULL, seconds=50.0 * scale, peak_rss_mib=900),
        StageFigure("publish", FULL, seconds=8.0 * scale, rows=500),
        StageFigure("report", FULL, seconds=8.0 * scale),
        StageFigure("ingest", DELIVERY, feed="police_nominals", seconds=0.5, rows=60),
        StageFigure("ingest", DELIVERY, feed="ed_attendances", seconds=0.5, rows=40),
        StageFigure("linkage", DELIVERY, seconds=1.0),
        StageFigure("dbt", DELIVERY, seconds=delivery_dbt),
        StageFigure("publish", DELIVERY, seconds=1.0),
        StageFigure("report", DELIVERY, seconds=1.0),
    ]
    scale_info = {"name": "test", "people": people, "months": 12, "delivery_period": "2026-09"}
    return BenchRun(scale=scale_info, machine=MACHINE, figures=figures, started_at="2026-11-22T00:00:00+00:00")


def _target(run: BenchRun, name: str):
    return next(t for t in run.targets() if t.name.startswith(name))


def test_ingest_total_sums_feeds_and_compares_time_with_the_lower_bound():
    ingest = _run().stage("ingest", FULL)
    assert ingest.seconds == pytest.approx(4.0)
    assert ingest.rows == 10_000
    assert ingest.baseline_seconds == pytest.approx(2.0)
    assert ingest.ratio == pytest.approx(2.0)
    assert ingest.rows_per_s == pytest.approx(2_500)
    assert ingest.peak_rss_mib == 500  # the largest feed's peak, not a sum


def test_ingest_target_is_half_the_lower_bound_throughput():
    run = _run()
    assert _target(run, "ingest").met is True  # exactly 2 x the lower bound's time
    run.figures[4].seconds = 3.0  # ed_attendances slower: 4.5 s against 2 s
    assert _target(run, "ingest").met is False


def test_full_build_sums_pipeline_stages_only_and_keeps_the_peak_rss():
    full = _run().pipeline(FULL)
    # ingest 4 + linkage 30 + dbt 50 + publish 8 + report 8; synth and baselines are not part of a refresh
    assert full.seconds == pytest.approx(100.0)
    assert full.peak_rss_mib == 900


def test_delivery_share_and_its_target():
    assert _run(delivery_dbt=1.0).delivery_share() == pytest.approx(5.0 / 100.0)
    assert _target(_run(delivery_dbt=1.0), "daily delivery").met is True
    slow = _run(delivery_dbt=40.0)
    assert slow.delivery_share() == pytest.approx(44.0 / 100.0)
    assert _target(slow, "daily delivery").met is False


def test_delivery_target_needs_both_wall_and_cpu_shares_within_the_limit():
    """A contention burst can shrink or swell wall-clock time; CPU seconds must agree before the target is met."""
    run = _run(delivery_dbt=1.0)
    for figure in run.figures:
        figure.cpu_seconds = figure.seconds
    assert _target(run, "daily delivery").met is True
    run.find("dbt", DELIVERY).cpu_seconds = 40.0  # same wall time, but dbt really rebuilt everything
    assert run.delivery_share("cpu") == pytest.approx(44.0 / 100.0)
    target = _target(run, "daily delivery")
    assert target.met is False
    assert "44.0% of CPU" in target.value


def test_a_failed_stage_makes_the_build_incomplete_and_no_share_is_claimed():
    run = _run()
    dbt = run.find("dbt", DELIVERY)
    dbt.status, dbt.seconds, dbt.note = FAILED, None, "exit 2: Runtime Error"
    assert run.pipeline(DELIVERY).status == FAILED
    assert run.delivery_share() is None
    assert _target(run, "daily delivery").met is None


def test_linkage_target_is_judged_like_for_like_and_reported_missing_without_a_baseline():
    run = _run()
    target = _target(run, "linkage")
    assert target.met is True  # 25 s train + link against 20 s cleartext
    assert "1.25 ×" in target.value and "1.50 ×" in target.value
    linkage = run.find("linkage", FULL)
    linkage.baseline_seconds, linkage.note = None, "cleartext baseline not available: no bench_linkage"
    run.find("linkage_baseline", BASELINE).status = NOT_AVAILABLE
    target = _target(run, "linkage")
    assert target.met is None
    assert "not available" in target.note


def test_rss_target():
    run = _run()
    assert _target(run, "full build peak RSS").met is True
    run.find("dbt", FULL).peak_rss_mib = 13 * 1024
    assert _target(run, "full build peak RSS").met is False


def test_fit_recovers_a_linear_cost_with_a_fixed_part():
    points = [(n, 5.0 + 300.0 * n / 1_000_000) for n in (100_000, 200_000, 400_000)]
    result = fit("full build", points)
    assert result.slope_s_per_million_rows == pytest.approx(300.0)
    assert result.intercept_s == pytest.approx(5.0)
    assert result.r_squared == pytest.approx(1.0)
    assert 0.5 < result.exponent < 1.0  # the fixed part flattens the log-log slope
    assert result.verdict == "linear"
    mostly_fixed = fit("dbt", [(n, 30.0 + 3.0 * n / 1_000_000) for n in (100_000, 200_000, 400_000)])
    assert mostly_fixed.verdict == "linear; fixed costs dominate at these sizes"


def test_fit_will_not_call_noisy_or_flat_points_linear():
    """Regression: contention made the quick curve's 20k run slower than its 40k run, and a series that fell with
    size was called linear."""
    noisy = fit("ingest", [(7_276, 20.0), (14_395, 41.0), (28_714, 50.0)])
    assert noisy.exponent > 0.5 and noisy.r_squared < 0.9
    assert noisy.verdict == "inconclusive: too noisy"
    falling = fit("report", [(7_276, 5.63), (14_395, 4.06), (28_714, 1.84)])
    assert falling.r_squared > 0.9
    assert falling.verdict == "flat or falling: fixed costs and noise dominate"


def test_fit_flags_quadratic_growth():
    result = fit("linkage", [(n, (n / 1_000) ** 2) for n in (1_000, 2_000, 4_000)])
    assert result.exponent == pytest.approx(2.0)
    assert result.verdict == "SUPER-LINEAR"


def test_fit_needs_two_sizes():
    assert fit("dbt", [(1_000, 3.0)]).exponent is None
    assert fit("dbt", [(1_000, 3.0)]).verdict == "too few points"


def test_curve_fits_every_series_on_wall_and_cpu_seconds():
    runs = [_run(1_000, 1.0), _run(2_000, 2.0), _run(4_000, 4.0)]
    for run, cpu in zip(runs, (3.0, 6.0, 12.0), strict=True):
        for figure in run.figures:
            figure.cpu_seconds = cpu if figure.stage == "dbt" else None
    curve = Curve(runs)
    fits = {(f.series, f.measure): f for f in curve.fits()}
    assert fits[("ingest", "wall")].exponent == pytest.approx(1.0)
    assert fits[("full build", "wall")].exponent == pytest.approx(1.0)
    assert fits[("lower_bound", "wall")].points == [(10_000, 2.0), (20_000, 4.0), (40_000, 8.0)]
    assert fits[("dbt", "cpu")].points == [(10_000, 3.0), (20_000, 6.0), (40_000, 12.0)]
    assert fits[("dbt", "cpu")].slope_s_per_million_rows == pytest.approx(300.0)
    text = markdown_curve(curve)
    assert "## Growth" in text and "| full build | wall | 1.00 |" in text
    console = Console(record=True, width=200)
    console.print(rich_curve(curve))
    assert "linear" in console.export_text()


def test_json_round_trip_renders_the_same_markdown():
    run = _run()
    data = json.loads(json.dumps(run.as_dict()))
    assert data["totals"]["full_build"]["seconds"] == pytest.approx(100.0)
    assert {t["verdict"] for t in data["targets"]} <= {"met", "NOT met", "not measured"}
    assert markdown_run(BenchRun.from_dict(data)) == markdown_run(run)


def test_markdown_has_every_table():
    text = markdown_run(_run())
    assert "| ingest + validate + pseudonymise: ed_attendances | 4,000 |" in text
    assert "## Daily delivery (2026-09) on top of the full history" in text
    assert "## Targets (issue 8)" in text
    assert "| full build | 10,000 |" in text


def test_status_markers_survive_rich_markup():
    """Regression: '[failed]' in a label was read as a Rich markup tag and vanished from the printed table."""
    run = _run()
    run.find("linkage_baseline", BASELINE).status = NOT_AVAILABLE
    console = Console(record=True, width=250)
    console.print(rich_run(run))
    assert "Splink on cleartext (baseline) (not available)" in console.export_text()
