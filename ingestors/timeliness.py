"""Is a partner feed's delivery late? Judged from the delivery ledger against the feed's expected cadence."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from ingestors.contract import FeedContract
from ingestors.lake import DELIVERIES_TABLE, scan_table, table_exists
from ingestors.ledger import DeliveryStatus
from storage import Store


@dataclass(frozen=True)
class Timeliness:
    feed: str
    last_delivery: dt.datetime | None
    days_since: int | None
    expected_every_days: int

    @property
    def late(self) -> bool:
        return self.days_since is None or self.days_since > self.expected_every_days

    def explain(self) -> str:
        if self.last_delivery is None:
            return f"{self.feed} has never delivered (expected every {self.expected_every_days} days)."
        state = "late" if self.late else "on time"
        return (
            f"{self.feed}: last delivery loaded {self.last_delivery:%d %B %Y}, {self.days_since} days ago "
            f"(expected every {self.expected_every_days} days): {state}."
        )


def feed_timeliness(store: Store, contract: FeedContract, now: dt.datetime | None = None) -> Timeliness:
    now = now or dt.datetime.now(dt.UTC)
    last: dt.datetime | None = None
    if table_exists(store, DELIVERIES_TABLE):
        loaded = (
            scan_table(store, DELIVERIES_TABLE)
            .filter((pl.col("feed") == contract.feed) & (pl.col("status") == DeliveryStatus.LOADED.value))
            .select(pl.col("ingested_at").max())
            .collect()
        )
        last = loaded.item()
    days = (now - last).days if last is not None else None
    return Timeliness(contract.feed, last, days, contract.expected_every_days)
