"""Helpers for the synth tests (a uniquely named module, so it never clashes with other test folders)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from synth.generate import SynthResult


def truth_of(result: SynthResult) -> pl.DataFrame:
    return pl.read_csv(result.truth, infer_schema=False).with_columns(pl.col("row_number").cast(pl.Int64))


def landing_files(result: SynthResult) -> list[Path]:
    return sorted(p for p in (result.out / "landing").rglob("*") if p.is_file())
