"""A temporary on-disk spool of generated records, partitioned by feed and period.

Chunks append their records here (one Parquet fragment per chunk, feed and period) and are then dropped from
memory; each partner file is later assembled from its own fragments only. Peak memory is therefore one chunk of
people plus the largest single file, whatever the population size.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import polars as pl


class Spool:
    """A fresh hidden folder inside `parent`; `remove()` deletes it and everything in it."""

    def __init__(self, parent: Path) -> None:
        parent.mkdir(parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix=".synth-spool-", dir=parent))

    def add(self, feed: str, chunk: int, frame: pl.DataFrame) -> None:
        """Store `frame` (which has a `_period` column) split by period."""
        if frame.height == 0:
            return
        for (period,), part in frame.partition_by("_period", as_dict=True, maintain_order=True).items():
            target = self.folder / feed / str(period)
            target.mkdir(parents=True, exist_ok=True)
            part.write_parquet(target / f"c{chunk:05d}.parquet", compression="lz4", statistics=False)

    def periods(self, feed: str) -> list[str]:
        base = self.folder / feed
        return sorted(p.name for p in base.iterdir()) if base.exists() else []

    def read(self, feed: str, period: str) -> pl.DataFrame | None:
        """All fragments of one feed and period, in chunk order; None when there are none."""
        base = self.folder / feed / period
        parts = sorted(base.glob("c*.parquet")) if base.exists() else []
        if not parts:
            return None
        return pl.concat([pl.read_parquet(p) for p in parts], how="vertical_relaxed")

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
