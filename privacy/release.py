"""Level 3 releases: person-level pseudonymised extracts for approved analysts, one audited release at a time.

Guarantees of `release_extract`:
- every `person_key` is replaced by a release pseudonym, HMAC-SHA256 under a key derived for this release only, so
  two releases cannot be joined with each other or with the lake;
- linkage tokens, Bloom encodings, record keys and lineage columns never leave (they would re-identify across
  releases);
- only rows from feeds whose data-sharing agreement allows tier L3 are released; a table that cannot say which feed
  or agency a row came from is refused;
- the release is recorded (who, when, purpose, rows, agreement versions) in `ops/releases` and the audit table
  before the files are handed over.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ingestors.contract import load_contracts
from ingestors.lake import append_rows
from ingestors.ledger import audit
from privacy.agreement import SharingAgreement, load_agreements
from privacy.keys import PseudonymisationKey, release_key
from privacy.tokens import tokenise
from storage import Store

RELEASES_TABLE = "ops/releases"
RELEASE_TIER = "L3"
PERSON_KEY = "person_key"
RELEASE_PSEUDONYM = "release_pseudonym"
NEVER_RELEASED_SUFFIXES = ("_token", "_bloom")
NEVER_RELEASED_COLUMNS = ("_record_key", "_delivery_id", "_source_file", "_row_number")
RELEASES_SCHEMA: dict[str, pl.DataType] = {
    "release_id": pl.String(),
    "released_at": pl.Datetime("us", "UTC"),
    "requested_by": pl.String(),
    "purpose": pl.String(),
    "tables": pl.String(),
    "rows": pl.Int64(),
    "rows_withheld": pl.Int64(),
    "agreements": pl.String(),
    "run_id": pl.String(),
}


class ReleaseRefused(ValueError):
    """The release cannot go ahead; the message says why in plain English."""


@dataclass(frozen=True)
class Release:
    release_id: str
    files: list[Path]
    rows: int
    rows_withheld: int
    agreements: dict[str, str]


def feeds_allowing(tier: str, agreements: Mapping[str, SharingAgreement], today: dt.date) -> set[str]:
    return {feed for feed, a in agreements.items() if tier in a.output_tiers and a.is_in_force(today)}


def release_extract(
    store: Store,
    tables: Mapping[str, pl.DataFrame],
    key: PseudonymisationKey,
    *,
    requested_by: str,
    purpose: str,
    out_dir: Path,
    today: dt.date | None = None,
    run_id: str | None = None,
) -> Release:
    """Release `tables` (name -> person-level frame) to `out_dir` as Parquet and CSV, audited."""
    if not requested_by.strip() or len(purpose.strip()) < 10:
        raise ReleaseRefused("A release needs the approved analyst's name and a stated purpose (at least a sentence).")
    today = today or dt.date.today()
    contracts, agreements = load_contracts(), load_agreements()
    allowed_feeds = feeds_allowing(RELEASE_TIER, agreements, today)
    allowed_partners = {
        partner
        for partner in {c.partner for c in contracts.values()}
        if all(f in allowed_feeds for f, c in contracts.items() if c.partner == partner)
    }
    release_id = f"rel-{today:%Y%m%d}-{uuid.uuid4().hex[:8]}"
    pseudonym_key = release_key(key, release_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    released = withheld = 0
    used_feeds: set[str] = set()
    for name, frame in tables.items():
        if PERSON_KEY not in frame.columns:
            raise ReleaseRefused(f"Table {name} has no person_key, so it is not a person-level table to release.")
        if "source_feed" in frame.columns:
            allowed = pl.col("source_feed").is_in(sorted(allowed_feeds))
            used_feeds |= set(frame.filter(allowed).get_column("source_feed").unique().to_list())
        elif "source_agency" in frame.columns:
            allowed = pl.col("source_agency").is_in(sorted(allowed_partners))
            used_feeds |= {f for f, c in contracts.items() if c.partner in set(frame.filter(allowed).get_column("source_agency"))}
        else:
            raise ReleaseRefused(
                f"Table {name} does not say which feed or agency each row came from (source_feed or source_agency), "
                "so vrlake cannot check the data-sharing agreements allow a person-level release."
            )
        kept = frame.filter(allowed)
        withheld += frame.height - kept.height
        kept = kept.drop(
            [c for c in kept.columns if c.endswith(NEVER_RELEASED_SUFFIXES) or c in NEVER_RELEASED_COLUMNS]
        )
        kept = tokenise(kept, {PERSON_KEY: "release_person"}, pseudonym_key, null_invalid=False)
        kept = kept.rename({f"{PERSON_KEY}_token": RELEASE_PSEUDONYM}).select(
            RELEASE_PSEUDONYM, *[c for c in kept.columns if c != f"{PERSON_KEY}_token"]
        )
        for suffix, writer in ((".parquet", kept.write_parquet), (".csv", kept.write_csv)):
            path = out_dir / f"{release_id}_{name}{suffix}"
            writer(path)
            files.append(path)
        released += kept.height
    versions = {f: f"{agreements[f].agreement_id} v{agreements[f].version}" for f in sorted(used_feeds)}
    row = {
        "release_id": release_id,
        "released_at": dt.datetime.now(dt.UTC),
        "requested_by": requested_by,
        "purpose": purpose,
        "tables": ",".join(tables),
        "rows": released,
        "rows_withheld": withheld,
        "agreements": json.dumps(versions),
        "run_id": run_id,
    }
    append_rows(store, RELEASES_TABLE, pl.DataFrame([row], schema=RELEASES_SCHEMA))
    audit(store, "release", run_id=run_id, user=requested_by,
          detail={"release_id": release_id, "purpose": purpose, "rows": released, "rows_withheld": withheld})
    return Release(release_id, files, released, withheld, versions)
