"""The storage zones of the lake and the rules for object paths inside them.

A *zone* is a top-level area with one purpose and one access policy. On the local backend each zone is a
sub-folder of ``VRLAKE_HOME``; on Azure each zone is a blob container. Code names zones with the constants
below, never with ad-hoc strings, so that a typo fails loudly instead of creating a stray folder.
"""

from __future__ import annotations

from typing import Final, Literal

Zone = Literal["landing", "quarantine", "archive", "lake", "warehouse", "marts", "reports"]

LANDING: Final = "landing"
"""Partner drop zones, ``landing/<partner>/...``. Identifiable: raw partner files."""
QUARANTINE: Final = "quarantine"
"""Files (or reports about files) that failed validation, kept for a human to look at."""
ARCHIVE: Final = "archive"
"""Identifiable originals after processing, kept for audit and reprocessing."""
LAKE: Final = "lake"
"""Delta tables written by ingestion (pseudonymised)."""
WAREHOUSE: Final = "warehouse"
"""The DuckDB file dbt writes (locally), or published snapshots of it (Azure)."""
MARTS: Final = "marts"
"""Published outputs for partners and analysts."""
REPORTS: Final = "reports"
"""Generated reports (validation summaries, data-quality reports)."""

ZONES: Final[tuple[Zone, ...]] = (LANDING, QUARANTINE, ARCHIVE, LAKE, WAREHOUSE, MARTS, REPORTS)
"""Every zone, in the order data flows through them."""

IDENTIFIABLE_ZONES: Final[tuple[Zone, ...]] = (LANDING, ARCHIVE)
"""Zones that hold identifiable personal data: access must be restricted to the ingestion identity."""

WAREHOUSE_FILENAME: Final = "vrlake.duckdb"
"""File name of dbt's DuckDB database inside the warehouse zone."""


def check_zone(zone: str) -> Zone:
    """Return ``zone`` unchanged if it is one of :data:`ZONES`, else raise :class:`ValueError`.

    Guarantees no code path can read or write outside the known zones by mistyping a name.
    """
    if zone not in ZONES:
        raise ValueError(f"Unknown storage zone {zone!r}; expected one of {', '.join(ZONES)}")
    return zone  # type: ignore[return-value]  # narrowed by the membership test above


def is_identifiable(zone: str) -> bool:
    """True if ``zone`` holds identifiable data (see :data:`IDENTIFIABLE_ZONES`)."""
    return check_zone(zone) in IDENTIFIABLE_ZONES


def check_path(path: str, *, allow_empty: bool = False) -> str:
    """Validate an object path relative to a zone and return it unchanged.

    A valid path uses ``/`` separators, is relative, and has no empty, ``.`` or ``..`` segments, so that it
    means the same thing as a blob name and as a file path and can never escape its zone's folder.
    ``allow_empty`` permits ``""`` (used for list prefixes, where a trailing ``/`` is also allowed).

    Raises :class:`ValueError` naming the offending path.
    """
    if path == "":
        if allow_empty:
            return path
        raise ValueError("Object path must not be empty")
    if "\\" in path or "\x00" in path:
        raise ValueError(f"Object path {path!r} must use '/' separators and contain no NUL bytes")
    if path.startswith("/"):
        raise ValueError(f"Object path {path!r} must be relative to its zone (no leading '/')")
    segments = path.split("/")
    if allow_empty and segments[-1] == "":
        # A prefix such as "police/" names a folder; the trailing empty segment is meaningful there.
        segments = segments[:-1]
    for segment in segments:
        if segment in ("", ".", ".."):
            raise ValueError(f"Object path {path!r} has an empty, '.' or '..' segment")
    return path
