"""`vrlake bench --scale S --out DIR`: time every stage of the pipeline against same-run baselines.

What `make bench` runs. Each scale builds a synthetic area, times synth, ingestion per feed (against DuckDB reading
the raw files and writing Parquet), linkage (against Splink on cleartext, when the linkage benchmark offers it),
dbt build, publishing and the report, then a daily delivery on top of the history. ``curve`` scales repeat the
full build at three sizes and fit how the cost grows. Results are printed and written to ``--out`` as
``bench_<scale>.json`` and ``bench_<scale>.md``.

Runs on its own temporary VRLAKE_HOME and DAGSTER_HOME with a random per-run key: it never touches the configured
lake and needs no pseudonymisation key. It needs the source checkout (``benchmarks/`` and ``dbt_project/``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

RECORDED_WIDTH = 180
SCALE_HELP = (
    "quick (20k people, CI-friendly), medium (200k), force (3M residents, five years: about 10.9M partner rows); curve "
    "(full builds at 10k/20k/40k people with a growth fit), curve-medium (50k/100k/200k), curve-force "
    "(250k/500k/1M); or a number of people."
)


def command(
    scale: Annotated[str, typer.Option(help=SCALE_HELP)] = "quick",
    out: Annotated[Path, typer.Option(help="Folder for bench_<scale>.json and bench_<scale>.md.")] = Path(
        "bench-output"
    ),
    reuse_synth: Annotated[
        Path | None,
        typer.Option(
            help="Reuse a synthetic area generated earlier for this scale (its folder, holding synth_manifest.json, "
            "landing/, reference/ and truth.csv) instead of generating it: the force area takes about 25 minutes.",
        ),
    ] = None,
) -> None:
    """Benchmark the whole pipeline at a scale: seconds, rows/s, MB/s, peak RSS and ratios to baselines."""
    from rich.console import Console

    try:
        from benchmarks import harness, results
    except ImportError as error:
        Console(stderr=True).print(
            f"[bold red]vrlake bench:[/] needs the source checkout's benchmarks/ folder on the path ({error})."
        )
        raise typer.Exit(code=2) from None

    console = Console()
    if not console.is_terminal:
        # CI logs and pipes: wide enough for the table instead of Rich's 80-column default.
        console = Console(width=RECORDED_WIDTH)
    try:
        chosen = harness.resolve_scale(scale)
    except ValueError as error:
        console.print(f"[bold red]vrlake bench:[/] {error}")
        raise typer.Exit(code=2) from None

    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"bench_{scale}"
    with console.status("starting...") as status:
        def progress(text: str) -> None:
            status.update(f"[bold]{text}")
            console.log(text, highlight=False)

        if isinstance(chosen, harness.Scale):
            run = harness.run_benchmark(chosen, progress=progress, failed_logs=out / "logs", reuse_synth=reuse_synth)
            rendered, data, markdown = results.rich_run(run), run.as_dict(), results.markdown_run(run)
            failed = any(f.status == results.FAILED for f in run.figures)
        else:
            curve = harness.run_curve(scale, chosen, progress=progress, failed_logs=out / "logs")
            rendered, data, markdown = results.rich_curve(curve), curve.as_dict(), results.markdown_curve(curve)
            failed = any(f.status == results.FAILED for r in curve.runs for f in r.figures)

    console.print(rendered)
    stem.with_suffix(".json").write_text(json.dumps(data, indent=2), "utf-8")
    stem.with_suffix(".md").write_text(markdown, "utf-8")
    console.print(f"Wrote {stem.with_suffix('.json')} and {stem.with_suffix('.md')}.")
    if failed:
        console.print("[bold red]Some stages failed[/]: see the notes in the markdown for the reasons.")
        raise typer.Exit(code=1)
