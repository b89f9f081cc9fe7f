"""nDelius caseload snapshot: JSON lines, camelCase keys, ISO dates, enum codes (CO, LOW), registers as an array."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from synth.writers.common import FeedStyle, render, write_json_lines

CASELOAD = FeedStyle(
    "probation_caseload",
    "jsonl",
    variants={
        "sex": {"M": "Male", "F": "Female", "U": "Not Known"},
        "sentence_type": {
            "community_order": "CO",
            "suspended_sentence": "SSO",
            "licence": "LIC",
            "post_sentence_supervision": "PSS",
        },
        "rosh": {"Low": "LOW", "Medium": "MEDIUM", "High": "HIGH", "Very High": "VERY_HIGH"},
    },
    unknown_codes={"sentence_type": "Tagging"},
    booleans=None,
)


def order_caseload(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort("crn")


def write_caseload(frame: pl.DataFrame, path: Path) -> None:
    write_json_lines(render(frame, CASELOAD), CASELOAD, path)
