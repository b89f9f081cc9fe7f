"""`vrlake report`: regenerate the JSNA report from the published marts and scan every published file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()
DBT_DOCS_PATH = "data_dictionary_dbt.html"
"""Where the dbt docs site (the warehouse's data dictionary: every model, column, grain and test) is published."""


def command(
    out: Annotated[Path | None, typer.Option(help="Also write the report to this local file.")] = None,
    scan: Annotated[
        bool, typer.Option("--scan/--no-scan", help="Scan every published file for unsafe counts (exit 1 if any is found).")
    ] = True,
    dbt_docs: Annotated[
        Path | None,
        typer.Option(help="Also publish this `dbt docs generate --static` page as reports/data_dictionary_dbt.html."),
    ] = None,
) -> None:
    """Regenerate reports/jsna_report.html from the marts published in the configured storage.

    Reads only the marts zone (what commissioners can already see) and writes only the reports zone (the report,
    and with --dbt-docs the dbt docs page). With --scan (the default) it then checks every published CSV, XLSX and
    Delta table and exits non-zero, naming each cell, when a count escaped disclosure control.
    """
    from publishing.disclosure_scan import DisclosureRule, scan_published
    from publishing.report import REPORT_PATH, REPORTS_ZONE, write_report
    from storage import StorageSettings, open_store
    from vrlake.paths import dbt_project_dir

    store = open_store(StorageSettings.from_env())
    store.ensure_zones()
    result = write_report(store, dbt_project_dir())
    console.print(f"wrote {result.path} ({result.charts} charts)")
    if result.missing_feeds:
        console.print(f"[yellow]Feeds not delivered:[/] {', '.join(result.missing_feeds)}")
    if result.stale_feeds:
        console.print(f"[yellow]Feeds out of date:[/] {', '.join(result.stale_feeds)}")
    if dbt_docs is not None:
        store.upload_file(REPORTS_ZONE, DBT_DOCS_PATH, dbt_docs)
        console.print(f"wrote {REPORTS_ZONE}/{DBT_DOCS_PATH}")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(store.read_bytes(REPORTS_ZONE, REPORT_PATH))
        console.print(f"wrote {out}")
    if scan:
        report = scan_published(store, DisclosureRule.from_dbt_project(dbt_project_dir()))
        if report.ok:
            console.print(f"[green]{report.summary()}[/]")
        else:
            console.print(f"[bold red]{report.summary()}[/]")
            raise typer.Exit(code=1)
