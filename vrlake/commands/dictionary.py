"""`vrlake dictionary`: write the partner data dictionary (markdown and HTML) generated from the contracts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()
REPORTS_ZONE = "reports"


def publish_dictionary() -> list[str]:
    """Write the dictionary to the reports zone; returns the paths written."""
    from ingestors.dictionary import render_dictionary
    from storage import StorageSettings, open_store

    store = open_store(StorageSettings.from_env())
    store.ensure_zones()
    written = []
    for name, content in render_dictionary().items():
        store.write_text(REPORTS_ZONE, name, content)
        written.append(f"{REPORTS_ZONE}/{name}")
    return written


def command(
    out: Annotated[Path | None, typer.Option(help="Also write the files into this folder.")] = None,
) -> None:
    """Generate the partner data dictionary from the feed contracts and sharing agreements."""
    from ingestors.dictionary import render_dictionary

    for path in publish_dictionary():
        console.print(f"wrote {path}")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for name, content in render_dictionary().items():
            (out / name).write_text(content, encoding="utf-8")
            console.print(f"wrote {out / name}")
