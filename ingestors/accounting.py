"""Row accounting: every delivered row is either loaded or rejected, and the lake holds exactly what was loaded.

`accounting_problems` compares the ledger with the bronze table. It is what the `row_accounting` asset check runs,
and it is deliberately independent of the ingestion code path it checks.
"""

from __future__ import annotations

import polars as pl

from ingestors.contract import DeliverySemantics, FeedContract
from ingestors.lake import DELIVERIES_TABLE, bronze_table, scan_table, table_exists
from ingestors.ledger import DeliveryStatus
from storage import Store


def accounting_problems(store: Store, contract: FeedContract) -> list[str]:
    """Plain-English problems found for `contract`'s feed; empty when the books balance."""
    if not table_exists(store, DELIVERIES_TABLE):
        return []
    loaded = (
        scan_table(store, DELIVERIES_TABLE)
        .filter((pl.col("feed") == contract.feed) & (pl.col("status") == DeliveryStatus.LOADED.value))
        .collect()
    )
    problems = [
        f"{r['source_file']}: {r['rows_read']} rows read but {r['rows_loaded']} loaded + {r['rows_rejected']} rejected"
        for r in loaded.iter_rows(named=True)
        if r["rows_read"] != r["rows_loaded"] + r["rows_rejected"]
    ]
    if loaded.height == 0:
        return problems
    if contract.delivery is DeliverySemantics.PERIOD_SNAPSHOT:
        # Only the latest delivery of each period is expected in the lake: later ones replace earlier ones.
        expected = loaded.sort("ingested_at").group_by("period").agg(pl.all().last())
    else:
        # A delivery reloaded after a crash has two ledger rows with one set of lake rows.
        expected = loaded.sort("ingested_at").group_by("delivery_id").agg(pl.all().last())
    in_lake = (
        scan_table(store, bronze_table(contract.feed)).group_by("_delivery_id").agg(pl.len().alias("in_lake")).collect()
        if table_exists(store, bronze_table(contract.feed))
        else pl.DataFrame(schema={"_delivery_id": pl.String, "in_lake": pl.UInt32})
    )
    joined = expected.join(in_lake, left_on="delivery_id", right_on="_delivery_id", how="left")
    for r in joined.iter_rows(named=True):
        if (r["in_lake"] or 0) != r["rows_loaded"]:
            problems.append(
                f"{r['source_file']}: ledger says {r['rows_loaded']} rows loaded, the lake holds {r['in_lake'] or 0}"
            )
    unexpected = in_lake.filter(~pl.col("_delivery_id").is_in(expected.get_column("delivery_id").implode()))
    problems += [f"delivery {d} is in the lake but not in the ledger" for d in unexpected.get_column("_delivery_id")]
    return problems
