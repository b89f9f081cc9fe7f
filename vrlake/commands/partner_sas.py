"""`vrlake partner-sas --partner P --days D`: a create-only link to a partner's drop zone on Azure.

The URL alone goes to standard output (so it can be piped into a secure message); everything else goes to
standard error. The link is a bearer secret; the account key never appears in output or logs.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

DEFAULT_DAYS = 30

err_console = Console(stderr=True)


def command(
    partner: Annotated[str, typer.Option(help="The partner whose drop zone the link opens (e.g. police).")],
    days: Annotated[float, typer.Option(help="How many days the link stays valid.")] = DEFAULT_DAYS,
    file: Annotated[
        str | None,
        typer.Option(
            "--file",
            help="Mint a link for exactly this one file name in the partner's drop zone (strictest scope).",
            show_default=False,
        ),
    ] = None,
    ip: Annotated[
        str | None,
        typer.Option(
            help="Only accept uploads from this IP address or range (a.b.c.d-e.f.g.h).", show_default=False
        ),
    ] = None,
) -> None:
    """Print a create-only SAS URL for landing/<partner>/: it can create new files, and cannot read, list,
    delete or overwrite anything."""
    from ingestors.contract import PARTNERS
    from storage import StorageError, StorageSettings
    from storage.partner_access import mint_partner_sas

    if partner not in PARTNERS:
        err_console.print(f"[red]Unknown partner {partner!r}.[/] Partners: {', '.join(PARTNERS)}.")
        raise typer.Exit(code=2)
    try:
        sas = mint_partner_sas(StorageSettings.from_env(), partner, days, file_name=file, ip_range=ip)
    except (StorageError, ValueError) as error:
        err_console.print(f"[red]Cannot mint a link for {partner}:[/] {error}")
        raise typer.Exit(code=1) from None

    scope = f"exactly landing/{sas.blob_name}" if sas.blob_name else f"new files in landing/{sas.drop_prefix}"
    err_console.print(
        f"Create-only link for [bold]{partner}[/] on {sas.endpoint}: {scope}; "
        f"valid until {sas.expires_at:%Y-%m-%d %H:%M} UTC; signed with the {sas.signed_with}."
    )
    if sas.scope == "container":
        err_console.print(
            "[yellow]Note:[/] blob storage cannot confine this link to one folder; a file it creates outside "
            f"landing/{sas.drop_prefix} that is another partner's feed is quarantined. "
            "Use --file for a per-file link."
        )
    err_console.print("Send it privately: anyone holding the link can deliver files until it expires.")
    typer.echo(sas.url)
