"""The partner-side pre-pseudonymiser: `vrlake prepare` turns a raw extract into a file with no direct identifiers.

It runs on the partner's own machine with the shared pseudonymisation key and does exactly what ingestion would do
before the lake: validate against the contract, drop every field outside the agreement, pseudonymise and coarsen.
Rows that fail validation stay on the partner's machine and are listed in the summary (never the identifier values).
Postcodes leave as keyed tokens because the partner has no lookup; the VRU turns them into LSOAs on arrival.

The output is a Parquet file (`<feed>_<period>.prepared.parquet`) whose key-value metadata says which feed, contract
and agreement versions, and which key (by fingerprint) prepared it. Ingestion accepts it like a raw file: it checks
that metadata, refuses a file prepared with another key (it would never link), and loads the rows unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from ingestors.contract import FeedContract, load_contracts
from ingestors.detect import feed_from_name, map_headers
from ingestors.errors import FileRejected, QuarantineReason
from ingestors.readers import ROW_NUMBER, read_delivery
from ingestors.validate import validate
from privacy.agreement import SharingAgreement, Treatment, load_agreements
from privacy.keys import PseudonymisationKey
from privacy.protect import protect

PREPARED_SUFFIX = ".prepared.parquet"
METADATA_KEY = b"vrlake.prepared"
FORMAT_VERSION = 1


@dataclass
class PrepareSummary:
    """What `vrlake prepare` did, in terms a partner's data officer can check. Contains no identifier values."""

    feed: str
    source_file: str
    output_file: str
    rows_read: int
    rows_prepared: int
    rows_rejected: int
    fields_dropped: list[str]
    treatments: dict[str, str]
    rejects: list[dict[str, object]] = field(default_factory=list)
    key_fingerprint: str = ""
    contract_version: int = 0
    agreement_id: str = ""
    agreement_version: int = 0
    prepared_at: str = ""


def describe_treatment(contract: FeedContract, agreement: SharingAgreement, name: str) -> str:
    rule = agreement.fields.get(name)
    if rule is None:
        return "removed: not in the data-sharing agreement"
    column = contract.column(name)
    match rule.treatment:
        case Treatment.KEEP:
            return "kept"
        case Treatment.DROP:
            return "removed: " + (rule.why or "the agreement does not share it")
        case Treatment.PSEUDONYMISE:
            extra = " and a keyed name encoding for fuzzy matching" if column.identifier == "name" else ""
            return f"replaced by a keyed pseudonym{extra}"
        case _:
            if rule.to == "year_month":
                return "reduced to year and month (plus keyed date tokens for linkage)" if rule.link_tokens else "reduced to year and month"
            return "replaced by a keyed token; the VRU reduces it to the LSOA (area) on arrival"


def prepare_file(
    source: Path,
    out_dir: Path,
    key: PseudonymisationKey,
    *,
    feed: str | None = None,
    today: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> PrepareSummary:
    """Prepare `source` for delivery. Raises `FileRejected` (plain English) when the file cannot be prepared."""
    step = progress or (lambda message: None)
    contracts, agreements = load_contracts(), load_agreements()
    named = feed_from_name(source.name, contracts)
    contract = contracts.get(feed) if feed else (named.contract if named else None)
    if contract is None:
        raise FileRejected(
            QuarantineReason.UNKNOWN_FEED,
            f"Tell vrlake which feed '{source.name}' is with --feed ({', '.join(sorted(contracts))}).",
        )
    agreement = agreements[contract.feed]
    refusal = agreement.refusal_reason(today or dt.date.today())
    if refusal:
        raise FileRejected(QuarantineReason.AGREEMENT_NOT_IN_FORCE, refusal)
    step("reading")
    raw = read_delivery(source, source.name, [contract])
    header_map, unrecognised = map_headers(raw.headers, contract)
    canonical = raw.frame.rename(header_map).select(ROW_NUMBER, *header_map.values())
    not_agreed = [c for c in canonical.columns if c != ROW_NUMBER and c not in agreement.shared_fields]
    canonical = canonical.drop(not_agreed)
    step("validating")
    result = validate(canonical, contract)
    step("pseudonymising")
    protected = protect(result.valid, contract, agreement, key, None, {})
    period = named.period if named and named.period else (today or dt.date.today()).strftime("%Y-%m")
    output = out_dir / f"{contract.file_stem}_{period}{PREPARED_SUFFIX}"
    summary = PrepareSummary(
        feed=contract.feed,
        source_file=source.name,
        output_file=output.name,
        rows_read=raw.frame.height,
        rows_prepared=protected.height,
        rows_rejected=result.rows_rejected,
        fields_dropped=sorted([*unrecognised, *not_agreed]),
        treatments={name: describe_treatment(contract, agreement, name) for name in header_map.values()},
        rejects=[
            {"line": row[ROW_NUMBER] + raw.header_line, "column": row["column"], "rule": row["rule"], "message": row["message"]}
            for row in result.issues.iter_rows(named=True)
        ],
        key_fingerprint=key.fingerprint,
        contract_version=contract.version,
        agreement_id=agreement.agreement_id,
        agreement_version=agreement.version,
        prepared_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    step("writing")
    out_dir.mkdir(parents=True, exist_ok=True)
    table = protected.to_arrow()
    metadata = {k: v for k, v in asdict(summary).items() if k not in ("rejects", "treatments")}
    metadata["format_version"] = FORMAT_VERSION
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), METADATA_KEY: json.dumps(metadata).encode()})
    pq.write_table(table, output)
    return summary


@dataclass(frozen=True)
class PreparedDelivery:
    """A prepared file as ingestion sees it."""

    frame: pl.DataFrame
    metadata: dict[str, object]


def read_prepared(path: Path, name: str) -> PreparedDelivery:
    """Read a prepared file and its metadata; raises `FileRejected` if it was not written by `vrlake prepare`."""
    try:
        table = pq.read_table(path)
    except Exception as error:  # pyarrow raises several error types for damaged files
        raise FileRejected(
            QuarantineReason.UNREADABLE, f"'{name}' could not be read as a prepared vrlake file ({error})."
        ) from error
    raw_metadata = (table.schema.metadata or {}).get(METADATA_KEY)
    if raw_metadata is None:
        raise FileRejected(
            QuarantineReason.UNSUPPORTED_FORMAT,
            f"'{name}' is a Parquet file but was not written by 'vrlake prepare'. Send the raw extract (CSV, XLSX or "
            "JSON lines) or prepare it with 'vrlake prepare'.",
        )
    return PreparedDelivery(pl.from_arrow(table), json.loads(raw_metadata))  # type: ignore[arg-type]
