"""`vrlake release`: a Level 3 person-level pseudonymised extract for an approved analyst, audited."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()


DEFAULT_TABLES = ("conformed.fct_person_factor",)
"""What an L3 release holds when no --table is given: the person-level risk and protective factors."""


def command(
    requested_by: Annotated[str, typer.Option(help="The approved analyst receiving the extract.")],
    purpose: Annotated[str, typer.Option(help="Why the extract is needed (recorded in the audit table).")],
    out: Annotated[Path, typer.Option(help="Folder the analyst receives the files in (outside the lake).")],
    table: Annotated[
        list[str] | None,
        typer.Option(help=f"Warehouse person-level tables (schema.table); default {', '.join(DEFAULT_TABLES)}."),
    ] = None,
) -> None:
    """Release person-level tables with per-release pseudonyms; only feeds whose agreement allows L3 are included."""
    from privacy.keys import InvalidKeyError, MissingKeyError, load_master_key
    from privacy.release import ReleaseRefused, release_extract
    from storage import StorageSettings, open_store
    from vrlake.warehouse import read_only_warehouse

    store = open_store(StorageSettings.from_env())
    try:
        key = load_master_key(os.environ)
        frames = {}
        with read_only_warehouse(store) as connection:
            for qualified in table or DEFAULT_TABLES:
                schema, _, name = qualified.rpartition(".")
                # Identifiers come from the command line; quote them so a name cannot become SQL.
                quoted = ".".join('"' + part.replace('"', '""') + '"' for part in (schema or "main", name))
                frames[name] = connection.sql(f"select * from {quoted}").pl()
        release = release_extract(store, frames, key, requested_by=requested_by, purpose=purpose, out_dir=out)
    except (MissingKeyError, InvalidKeyError, ReleaseRefused, FileNotFoundError) as error:
        console.print(f"[red]Release refused:[/] {error}")
        raise typer.Exit(code=2) from None
    console.print(f"Release {release.release_id}: {release.rows} rows released, {release.rows_withheld} withheld (no L3 agreement).")
    for path in release.files:
        console.print(f"  {path}")
    console.print("Recorded in ops/releases and the audit table.")
