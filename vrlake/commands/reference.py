"""`vrlake reference FOLDER`: load area, population and postcode lookups into the lake."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from privacy.keys import MissingKeyError

console = Console()


def command(
    folder: Annotated[
        Path,
        typer.Argument(exists=True, file_okay=False, help="Folder with areas.csv, population.csv, postcode_lsoa.csv"),
    ],
) -> None:
    """Load (replace) the reference tables from ONS-format CSV files."""
    from ingestors.lake_init import initialise_lake
    from ingestors.reference import load_reference
    from privacy.keys import load_master_key
    from storage import StorageSettings, open_store

    store = open_store(StorageSettings.from_env())
    initialise_lake(store)
    try:
        loads = load_reference(store, folder, load_master_key(os.environ))
    except (FileNotFoundError, MissingKeyError) as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(code=2) from error
    for load in loads:
        console.print(f"{load.table}: {load.rows} rows")
