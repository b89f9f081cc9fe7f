"""The linkage unit: one pseudonymised person record per (source feed, record key), gathered from bronze.

Bronze holds one row per delivered row. Snapshot feeds (the school census each term, the probation caseload each
month) repeat the same record key in every period; the partner's own system keeps one identity per key, so linkage
uses one record per key: the most recent delivery's row (latest ``_period``, then latest ``_ingested_at``).

``RECORD_SCHEMA`` is the contract between ingestion's encodings and the linkage model: only pseudonymised columns
(keyed tokens, keyed Bloom filters, sex, LSOA) plus lineage. Feeds that lack a column (exclusions carry no postcode)
get it as nulls, so every record has the same columns.

Guarantees: never reads or returns a cleartext identifier (bronze holds none); one row per
``(source_feed, record_key)``; deterministic for the same bronze content.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from privacy.bloom import BLOOM_DTYPE
from storage import Store

PERSON_FEEDS: tuple[str, ...] = (
    "police_nominals",
    "probation_caseload",
    "education_census",
    "education_exclusions",
    "ed_attendances",
)
"""Bronze feeds that describe people. ``ed_assaults`` (ISTV) has no person identifiers and is never linked."""

SOURCE_FEED = "source_feed"
RECORD_KEY = "record_key"
SOURCE_FILE = "source_file"
ROW_NUMBER = "row_number"

IDENTIFIER_TOKENS: tuple[str, ...] = (
    "nhs_number_token",
    "upn_token",
    "pnc_id_token",
    "crn_token",
    "other_id_token",
)
NAME_TOKENS: tuple[str, ...] = ("forenames_token", "surname_token")
NAME_BLOOMS: tuple[str, ...] = ("forenames_bloom", "surname_bloom")
DOB_TOKENS: tuple[str, ...] = ("dob_token", "dob_swapped_token", "dob_year_month_token", "dob_month_day_token")

RECORD_SCHEMA: dict[str, pl.DataType] = {
    SOURCE_FEED: pl.String(),
    RECORD_KEY: pl.String(),
    SOURCE_FILE: pl.String(),
    ROW_NUMBER: pl.Int64(),
    **{c: pl.String() for c in IDENTIFIER_TOKENS},
    **{c: pl.String() for c in NAME_TOKENS},
    **{c: BLOOM_DTYPE for c in NAME_BLOOMS},
    **{c: pl.String() for c in DOB_TOKENS},
    "birth_year_month": pl.String(),
    "sex": pl.String(),
    "postcode_token": pl.String(),
    "postcode_lsoa": pl.String(),
}
"""One linkage record. Token and Bloom columns are exactly those ``privacy.protect`` writes to bronze."""

LINKAGE_COLUMNS: tuple[str, ...] = tuple(c for c in RECORD_SCHEMA if c not in (SOURCE_FILE, ROW_NUMBER))

# Sex codes that carry no information: "U" agreeing with "U" must not count as evidence of a match.
_UNKNOWN_SEX = ("U", "")


def conform_records(frame: pl.DataFrame, *, source_feed: str | None = None) -> pl.DataFrame:
    """``frame`` with exactly ``RECORD_SCHEMA``'s columns, in order: missing columns as typed nulls.

    Bronze names (``_record_key``, ``_source_file``, ``_row_number``) are mapped to the linkage names; an unknown
    sex becomes null (see ``_UNKNOWN_SEX``). ``source_feed`` fills that column when the frame lacks it.
    """
    renamed = frame.rename(
        {old: new for old, new in (("_record_key", RECORD_KEY), ("_source_file", SOURCE_FILE),
                                   ("_row_number", ROW_NUMBER)) if old in frame.columns}
    )
    if SOURCE_FEED not in renamed.columns:
        if source_feed is None:
            raise ValueError("records need a source_feed column or a source_feed argument")
        renamed = renamed.with_columns(pl.lit(source_feed).alias(SOURCE_FEED))
    columns = []
    for name, dtype in RECORD_SCHEMA.items():
        if name in renamed.columns:
            column = pl.col(name).cast(dtype)
            if name == "sex":
                column = pl.when(column.str.to_uppercase().is_in(_UNKNOWN_SEX)).then(None).otherwise(column)
            columns.append(column.alias(name))
        else:
            columns.append(pl.lit(None, dtype=dtype).alias(name))
    return renamed.select(columns)


_RECENCY: tuple[str, ...] = ("_period", "_ingested_at", "_row_number")
_READ_ORDER = "__read_order"


def latest_per_record(bronze: pl.DataFrame) -> pl.DataFrame:
    """One row per ``_record_key``: the latest period's row, then the latest ingestion's, then the lowest row
    number, then the first read (so the choice is deterministic for the same input).

    Only the key columns are sorted; the chosen rows are then taken whole. Sorting the rows themselves moved every
    Bloom filter of every snapshot (the school census repeats each pupil every term): on the force-scale census this
    step took 5.5 s that way and 2.1 s this way.
    """
    chosen = (
        bronze.select("_record_key", *_RECENCY)
        .with_row_index(_READ_ORDER)
        .sort([*_RECENCY, _READ_ORDER], descending=[True, True, False, False], nulls_last=True)
        .unique(subset=["_record_key"], keep="first", maintain_order=True)
        .get_column(_READ_ORDER)
        .sort()
    )
    return bronze[chosen]


def gather_records(
    store: Store, feeds: Iterable[str] = PERSON_FEEDS, *, columns: Iterable[str] | None = None
) -> pl.DataFrame:
    """Every person record of ``feeds`` in the lake as ``RECORD_SCHEMA`` rows, sorted by feed then record key.

    Feeds whose bronze table does not exist yet (a partner that has never delivered) contribute nothing.
    ``columns``: read only these linkage columns from bronze (the others are nulls), e.g. for checks that need
    the identifier tokens but not the Bloom filters.
    """
    from ingestors.lake import bronze_table, scan_table, table_exists

    wanted = {"_record_key", "_source_file", "_row_number", "_period", "_ingested_at"}
    wanted |= set(RECORD_SCHEMA) if columns is None else set(columns)
    parts = []
    for feed in feeds:
        table = bronze_table(feed)
        if not table_exists(store, table):
            continue
        scan = scan_table(store, table)
        present = [c for c in scan.collect_schema().names() if c in wanted]
        latest = latest_per_record(scan.select(present).collect())
        parts.append(conform_records(latest, source_feed=feed))
    if not parts:
        return pl.DataFrame(schema=RECORD_SCHEMA)
    return pl.concat(parts).sort([SOURCE_FEED, RECORD_KEY])


def columns_with_data(records: pl.DataFrame) -> frozenset[str]:
    """The linkage columns holding at least one non-null value (the model only compares those)."""
    counts = records.select(pl.col(c).is_not_null().sum() for c in LINKAGE_COLUMNS).row(0)
    return frozenset(c for c, n in zip(LINKAGE_COLUMNS, counts, strict=True) if n > 0)
