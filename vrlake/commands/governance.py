"""`vrlake governance`: render the data-sharing register (HTML and markdown) for IG leads to read and sign."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()
REPORTS_ZONE = "reports"


def command(
    out: Annotated[Path | None, typer.Option(help="Also write the register into this folder.")] = None,
) -> None:
    """Render the register from the agreement files ingestion enforces, into the reports zone."""
    from privacy.governance import render_register
    from storage import StorageSettings, open_store

    store = open_store(StorageSettings.from_env())
    store.ensure_zones()
    for name, content in render_register().items():
        store.write_text(REPORTS_ZONE, f"governance/{name}", content)
        console.print(f"wrote {REPORTS_ZONE}/governance/{name}")
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            (out / name).write_text(content, encoding="utf-8")
            console.print(f"wrote {out / name}")
