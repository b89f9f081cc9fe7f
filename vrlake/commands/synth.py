"""`vrlake synth`: generate a synthetic VRU area, every partner's files, and the linkage truth."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

DEFAULT_OUT = Path(".vrlake/synth")
DEFAULT_TRUTH = Path(".vrlake/synth-truth/truth.csv")


def command(
    people: Annotated[
        int, typer.Option(help="Residents of the synthetic area (about 1,500 per LSOA).")
    ] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives byte-identical files.")] = 42,
    out: Annotated[
        Path,
        typer.Option(help="Output folder: landing/<partner>/, reference/ and synth_manifest.json go here."),
    ] = DEFAULT_OUT,
    truth: Annotated[
        Path, typer.Option(help="Where to write the linkage truth CSV (never inside the landing zone).")
    ] = DEFAULT_TRUTH,
    months: Annotated[int, typer.Option(help="Number of monthly periods to generate.")] = 12,
    end_period: Annotated[str, typer.Option(help="Last period, YYYY-MM.")] = "2026-10",
) -> None:
    """Generate synthetic partner files (police, probation, education, health) in each partner's own format.

    The files carry realistic identifier noise and a small share of invalid rows; the truth of who is who goes
    only to --truth. Nothing here is real personal data.
    """
    # Heavy imports stay inside the command so `vrlake --help` is fast.
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from synth.config import SynthConfig
    from synth.generate import FEEDS, generate

    console = Console()
    try:
        config = SynthConfig(people=people, seed=seed, months=months, end_period=end_period)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc

    started = time.perf_counter()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        tasks = {
            "people": progress.add_task("People and their lives", total=people),
            "files": progress.add_task("Partner files", total=None),
        }

        def report(phase: str, done: int, total: int) -> None:
            progress.update(tasks[phase], completed=done, total=total)

        try:
            result = generate(config, out, truth, progress=report)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
    elapsed = time.perf_counter() - started

    manifest = result.manifest
    table = Table(title=f"Synthetic VRU: {people:,} people, {months} months to {end_period}, seed {seed}")
    table.add_column("Feed")
    table.add_column("Partner")
    table.add_column("Files", justify="right")
    table.add_column("Rows", justify="right")
    table.add_column("Invalid rows", justify="right")
    partners = {feed: partner for partner, feed in FEEDS}
    for feed, info in manifest["feeds"].items():
        table.add_row(
            feed,
            partners.get(feed, ""),
            f"{info['files']:,}",
            f"{info['rows']:,}",
            f"{info['invalid_rows']:,}",
        )
    console.print(table)
    gap = manifest["ed_police_gap"]
    realised = "n/a" if gap["realised"] is None else f"{gap['realised']:.1%}"
    console.print(
        f"ED assault attendances with no police record within ±30 days: configured {gap['configured']:.0%}, "
        f"realised {realised} of {gap['assault_attendances']:,}."
    )
    console.print(
        f"Landing files: {out / 'landing'}   reference: {out / 'reference'}   "
        f"manifest: {out / 'synth_manifest.json'}"
    )
    console.print(f"Truth (keep away from the lake): {truth}")
    for stale in result.stale_files:
        console.print(f"[yellow]Not from this run, left in place:[/] {stale}")
    console.print(f"Done in {elapsed:.1f} s{_peak_memory()}.")


def _peak_memory() -> str:
    try:
        import resource
    except ImportError:  # Windows has no resource module; the figure is a nicety
        return ""
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return f", peak memory {peak_kib / 1024:,.0f} MiB"
