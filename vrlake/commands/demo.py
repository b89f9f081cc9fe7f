"""`vrlake demo`: the whole pipeline on a synthetic VRU area, on the embedded default (what `make demo` runs)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.panel import Panel

console = Console()
DEMO_SYNTH_DIR = Path(".vrlake-synthetic")


def command(
    people: Annotated[int, typer.Option(help="Residents of the synthetic area.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same files.")] = 42,
    synth_dir: Annotated[
        Path,
        typer.Option(help="Where the synthetic partner files and the truth are generated (outside VRLAKE_HOME)."),
    ] = DEMO_SYNTH_DIR,
) -> None:
    """Generate a synthetic area, drop its files into the landing zones, run the whole asset graph, summarise."""
    from ingestors.lake_init import initialise_lake
    from ingestors.reference import load_reference
    from orchestration.defs.linkage.assets import TRUTH_ENV
    from privacy.keys import load_master_key
    from storage import StorageSettings, open_store
    from synth.config import SynthConfig
    from synth.generate import generate
    from vrlake.commands.dictionary import publish_dictionary
    from vrlake.refresh import refresh_all
    from vrlake.summary import print_summary

    if os.environ.get("VRLAKE_DEMO_MODE") != "1":
        console.print("[red]vrlake demo runs only with VRLAKE_DEMO_MODE=1 (synthetic data, published demo key).[/]")
        raise typer.Exit(code=2)
    console.print(
        Panel(
            "DEMO MODE: identifiers are pseudonymised with a PUBLISHED demo key, which protects nothing.\n"
            "Use it only with synthetic data. Real deployments set VRLAKE_PSEUDONYMISATION_KEY or Key Vault.",
            title="vrlake demo",
            style="bold yellow",
        )
    )
    started = time.perf_counter()
    store = open_store(StorageSettings.from_env())
    initialise_lake(store)

    with console.status(f"Generating a synthetic VRU area of {people:,} people (seed {seed})..."):
        result = generate(SynthConfig(people=people, seed=seed), synth_dir, synth_dir / "truth.csv")
    console.print(f"Generated {len(result.files)} partner files in {synth_dir}/landing (truth kept apart).")

    for load in load_reference(store, synth_dir / "reference", load_master_key(os.environ)):
        console.print(f"Reference {load.table}: {load.rows:,} rows")

    landing = synth_dir / "landing"
    dropped = 0
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        relative = path.relative_to(landing).as_posix()
        store.upload_file("landing", relative, path)
        dropped += 1
    console.print(f"Dropped {dropped} files into the partners' drop zones (landing/<partner>/).")

    # The demo area is synthetic, so its truth is known: the person index then carries its linkage quality
    # (precision, recall, F1, false merges) as Dagster metadata, as `make ui` shows after the demo.
    os.environ.setdefault(TRUTH_ENV, str((synth_dir / "truth.csv").resolve()))
    with console.status("Running the asset graph: ingest -> dbt build -> publish..."):
        refresh = refresh_all(user="vrlake demo")
    for path in publish_dictionary():
        console.print(f"Data dictionary: {path}")
    print_summary(console)
    console.print(f"Finished in {time.perf_counter() - started:.0f} s.")
    if not refresh.success:
        console.print(f"[bold red]The pipeline failed[/] (Dagster run {refresh.run_id}):")
        for failure in refresh.failures:
            console.print(f"  - {failure}")
        raise typer.Exit(code=1)
    console.print(f"[green]Demo complete.[/] Dagster run {refresh.run_id}; open it with [bold]make ui[/].")
