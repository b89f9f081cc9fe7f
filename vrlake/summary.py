"""The end-of-run summary an analyst reads: deliveries per feed, marts written and where, how to open the UI."""

from __future__ import annotations

import polars as pl
from rich.console import Console
from rich.table import Table

from ingestors.lake import DELIVERIES_TABLE, read_table
from ingestors.ledger import DELIVERY_SCHEMA
from storage import StorageSettings, open_store

MARTS_ZONE = "marts"


def print_summary(console: Console) -> None:
    store = open_store(StorageSettings.from_env())
    ledger = read_table(store, DELIVERIES_TABLE, DELIVERY_SCHEMA)
    table = Table(title="Deliveries by feed", show_lines=False)
    for column in ("feed", "files loaded", "duplicates", "quarantined", "rows read", "rows loaded", "rows rejected"):
        table.add_column(column, justify="right" if column != "feed" else "left")
    if ledger.height:
        by_feed = (
            ledger.with_columns(pl.col("feed").fill_null("(unrecognised)"))
            .group_by("feed")
            .agg(
                (pl.col("status") == "loaded").sum().alias("loaded"),
                (pl.col("status") == "duplicate").sum().alias("duplicates"),
                (pl.col("status") == "quarantined").sum().alias("quarantined"),
                pl.col("rows_read").sum(),
                pl.col("rows_loaded").sum(),
                pl.col("rows_rejected").sum(),
            )
            .sort("feed")
        )
        for row in by_feed.iter_rows():
            table.add_row(*(str(v) for v in row))
    console.print(table)
    marts = sorted({o.path.split("/")[0].removesuffix(".csv") for o in store.list(MARTS_ZONE) if o.path.endswith(".csv")})
    console.print(f"Storage: {store.describe()}")
    if marts:
        console.print(f"Marts published ({len(marts)}): " + ", ".join(marts))
        console.print("  as Delta tables, CSV and XLSX in the marts zone, each with a .manifest.json")
    quarantined = [o.path for o in store.list("quarantine") if o.path.endswith(".reason.txt")]
    if quarantined:
        console.print(f"[yellow]{len(quarantined)} file(s) in quarantine[/]; reasons beside each file in quarantine/.")
    console.print("Open the Dagster UI with [bold]make ui[/] (http://127.0.0.1:3000) to see the asset graph and runs.")
