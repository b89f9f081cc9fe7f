"""`vrlake drop --partner P FILE [--sas URL]`: deliver a file into a partner's drop zone, as a partner would.

With a SAS link (from `vrlake partner-sas`, or the VRLAKE_DROP_SAS environment variable so the link stays out
of shell history and process lists) the upload is exactly what a partner's machine does: create-only, never
overwriting. Without one, the file goes through the configured store (the local folder, or Azure with the
deployment's credentials). Either way the drop-zone sensor picks the file up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()
SAS_ENV = "VRLAKE_DROP_SAS"


def command(
    file: Annotated[
        Path, typer.Argument(help="The file to deliver (CSV, XLSX or JSON lines).", show_default=False)
    ],
    partner: Annotated[
        str, typer.Option(help="The delivering partner (police, probation, education, health).")
    ],
    sas: Annotated[
        str | None,
        typer.Option(
            "--sas",
            envvar=SAS_ENV,
            help="The partner's drop-zone link from `vrlake partner-sas` (or set VRLAKE_DROP_SAS).",
            show_default=False,
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(help="Deliver under this file name instead of the file's own.", show_default=False),
    ] = None,
) -> None:
    """Upload FILE into landing/<partner>/ with a progress bar. Never overwrites an earlier delivery."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    from ingestors.contract import PARTNERS
    from storage import StorageError, StorageSettings, open_store
    from storage.partner_access import DropExists, DropRefused, upload_with_sas, upload_with_store

    if partner not in PARTNERS:
        console.print(f"[red]Unknown partner {partner!r}.[/] Partners: {', '.join(PARTNERS)}.")
        raise typer.Exit(code=2)
    if not file.is_file():
        console.print(f"[red]No such file:[/] {file}")
        raise typer.Exit(code=2)

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(f"{partner} <- {name or file.name}", total=file.stat().st_size)

        def report(sent: int, total: int) -> None:
            progress.update(task, completed=sent, total=total)

        try:
            if sas:
                receipt = upload_with_sas(sas, partner, file, name=name, progress=report)
            else:
                receipt = upload_with_store(
                    open_store(StorageSettings.from_env()), partner, file, name=name, progress=report
                )
        except DropExists as error:
            console.print(f"[yellow]Not delivered:[/] {error}")
            raise typer.Exit(code=1) from None
        except (DropRefused, StorageError, ValueError) as error:
            # Messages from storage never contain the link's token or account keys.
            console.print(f"[red]Not delivered:[/] {error}")
            raise typer.Exit(code=1) from None
    console.print(
        f"[green]Delivered[/] landing/{receipt.path} ({receipt.size:,} bytes, MD5 {receipt.content_md5}). "
        f"The {partner} drop-zone sensor picks it up within a minute while the Dagster daemon runs "
        "(or run `vrlake run`)."
    )
