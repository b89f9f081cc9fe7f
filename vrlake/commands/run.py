"""`vrlake run`: ingest every pending delivery and refresh everything downstream, headless."""

from __future__ import annotations

import typer
from rich.console import Console

from vrlake.summary import print_summary

console = Console()


def command(
    full_refresh: bool = typer.Option(False, help="Rebuild every dbt model from scratch."),
) -> None:
    """Ingest every file waiting in the drop zones, rebuild the warehouse and republish the marts.

    Exits non-zero, with the reason in plain English, when any step failed.
    """
    from vrlake.refresh import refresh_all

    with console.status("Running the vrlake asset graph (ingest -> dbt -> publish)..."):
        result = refresh_all(full_refresh=full_refresh)
    print_summary(console)
    if not result.success:
        console.print(f"[bold red]The refresh failed[/] (Dagster run {result.run_id}):")
        for failure in result.failures:
            console.print(f"  - {failure}")
        raise typer.Exit(code=1)
    console.print(f"[green]Refresh complete[/] (Dagster run {result.run_id}).")
