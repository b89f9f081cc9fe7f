"""`vrlake prepare`: pseudonymise a partner extract on the partner's own machine before it is sent."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console()


def command(
    source: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="The raw extract (CSV, XLSX or JSON lines).")
    ],
    out: Annotated[Path, typer.Option(help="Folder for the prepared file.")] = Path("prepared"),
    feed: Annotated[
        str | None, typer.Option(help="The feed, when the file name does not say (e.g. police_nominals).")
    ] = None,
) -> None:
    """Validate, apply the data-sharing agreement and pseudonymise, writing a file with no direct identifiers.

    Uses the pseudonymisation key the VRU shared with you (VRLAKE_PSEUDONYMISATION_KEY or Key Vault). Send the
    resulting .prepared.parquet file to your drop zone exactly as you would the raw extract.
    """
    from ingestors.errors import FileRejected
    from privacy.keys import InvalidKeyError, MissingKeyError, load_master_key
    from privacy.prepare import prepare_file

    try:
        key = load_master_key(os.environ)
    except (MissingKeyError, InvalidKeyError) as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(code=2) from None
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task(f"Preparing {source.name}", total=None)
        try:
            summary = prepare_file(
                source, out, key, feed=feed, progress=lambda step: progress.update(task, description=f"{step} {source.name}")
            )
        except FileRejected as rejected:
            console.print(f"[red]{source.name} cannot be prepared:[/] {rejected.explanation}")
            raise typer.Exit(code=1) from None
    table = Table(title=f"What happened to each column of {summary.source_file} ({summary.feed})")
    table.add_column("column")
    table.add_column("treatment")
    for name, treatment in summary.treatments.items():
        table.add_row(name, treatment)
    for name in summary.fields_dropped:
        table.add_row(name, "removed: not in the data-sharing agreement")
    console.print(table)
    console.print(
        f"{summary.rows_read} rows read, {summary.rows_prepared} prepared, {summary.rows_rejected} held back because "
        f"they fail the {summary.feed} contract (listed below; fix them at source and send them next time)."
    )
    for reject in summary.rejects[:50]:
        console.print(f"  line {reject['line']}: {reject['column']}: {reject['message']}")
    console.print(f"[green]Wrote {out / summary.output_file}[/] (key fingerprint {summary.key_fingerprint}).")
