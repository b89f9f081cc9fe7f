"""Acute trust exports: ECDS-style injury attendances and the ISTV assault extract.

Attendances are pipe-delimited UTF-8 from the trust's data warehouse (ISO dates, ECDS codes such as gender 1/2/9);
a forename occasionally holds a line break pasted from the patient administration system, which the CSV quotes.
The ISTV extract is the Excel "CSV UTF-8" an information analyst saves: comma-separated with a byte-order mark,
dd/mm/yyyy dates, and plain-English codes (Knife, Pub/Club).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from synth.writers.common import FeedStyle, render, write_delimited

ATTENDANCES = FeedStyle(
    "ed_attendances",
    "csv",
    variants={
        "sex": {"M": "1", "F": "2", "U": "9"},
        "injury_intent": {
            "assault": "ASSAULT",
            "self_harm": "SELF_HARM",
            "accidental": "ACCIDENTAL",
            "unknown": "UNKNOWN",
        },
        "injury_mechanism": {
            "sharp_object": "SHARP",
            "blunt_object": "BLUNT",
            "body_part": "BODY",
            "firearm": "FIREARM",
            "fall": "FALL",
            "road_traffic": "RTC",
            "other": "OTHER",
        },
        "place_of_injury": {
            "home": "HOME",
            "street": "STREET",
            "pub_club": "PUB_CLUB",
            "school": "SCHOOL",
            "park": "PARK",
            "transport": "TRANSPORT",
            "other": "OTHER",
            "shop": "OTHER",
        },
        "alcohol_drug_involvement": {
            "alcohol": "ALCOHOL",
            "drugs": "DRUG",
            "both": "BOTH",
            "none": "NONE",
            "unknown": "UNKNOWN",
        },
    },
    unknown_codes={"sex": "3"},
)
ASSAULTS = FeedStyle(
    "ed_assaults",
    "csv",
    variants={
        "sex": {"M": "Male", "F": "Female", "U": "Unknown"},
        "means_of_assault": {
            "body_part": "Body part",
            "sharp_object": "Knife",
            "blunt_object": "Blunt object",
            "firearm": "Firearm",
            "weapon_other": "Other weapon",
            "other": "Other weapon",
            "unknown": "Unknown",
        },
        "location_type": {
            "street": "Street",
            "pub_club": "Pub/Club",
            "home": "Home",
            "park": "Park",
            "school": "School",
            "transport": "Transport",
            "other": "Other",
        },
    },
    unknown_codes={"means_of_assault": "Bottle"},
)


def order_attendances(frame: pl.DataFrame) -> pl.DataFrame:
    """Sort by arrival and issue the trust's attendance ids: site, arrival date, sequence within the day."""
    frame = frame.sort(["_sort", "_incident"])
    seq = pl.int_range(1, pl.len() + 1).over(["site_code", "arrival_date"])
    return frame.with_columns(
        pl.concat_str(
            [
                pl.col("site_code"),
                pl.col("arrival_date").dt.strftime("%y%m%d"),
                seq.cast(pl.String).str.zfill(4),
            ]
        ).alias("attendance_id")
    )


def order_assaults(frame: pl.DataFrame, period: str) -> pl.DataFrame:
    """Sort by arrival and number the month's ISTV records (a record number, not an identifier)."""
    frame = frame.sort(["_sort", "_incident"])
    prefix = "IS" + period.replace("-", "")
    return frame.with_columns(
        (pl.lit(prefix) + pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(5)).alias("istv_ref")
    )


def write_attendances(frame: pl.DataFrame, path: Path) -> None:
    write_delimited(render(frame, ATTENDANCES), ATTENDANCES, path, separator="|")


def write_assaults(frame: pl.DataFrame, path: Path) -> None:
    write_delimited(render(frame, ASSAULTS), ASSAULTS, path, bom=True, line_terminator="\r\n")
