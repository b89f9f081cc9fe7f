"""Ingest one delivered file: from a partner's drop zone to a bronze Delta table, exactly once.

The order of steps is the privacy and safety argument:
1. the file's content hash decides whether this content was already loaded (under any name): if so it is recorded as
   a duplicate and archived, never loaded twice;
2. the feed is recognised from the file name (or, failing that, unambiguously from its header) and its data-sharing
   agreement must be in force;
3. columns outside the agreement are dropped before anything is written; rows are validated against the contract;
4. identifiers are pseudonymised and quasi-identifiers coarsened *in memory*; only the protected frame is written;
5. the bronze write replaces this delivery's rows (or the period's, for snapshot feeds) in one Delta commit, so a
   crash and rerun leaves exactly one copy;
6. only then is the identifiable original moved from `landing/` to `archive/`.
A file that cannot be loaded at all goes to `quarantine/` with a machine-readable reason and a plain-English one.

`ingest_files` reads, validates and protects (steps 2 to 4) several files at once, in worker processes or threads
(`ingestors.preparing`) that write nothing but their own staged rows. Every write of steps 1, 5 and 6 happens in the
calling thread, in the order the files were given: each file's bronze rows at once, and its small records (rejects,
quality, ledger, audit) together with those of the files around it, before any of their originals is archived. The
lake ends up with what ingesting the files one by one would have written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import polars as pl
import pyarrow as pa

from ingestors.contract import DeliverySemantics, FeedContract, load_contracts
from ingestors.detect import FeedMatch, feed_from_headers, feed_from_name, map_headers
from ingestors.errors import FileRejected, QuarantineReason
from ingestors.lake import (
    AUDIT_TABLE,
    DELIVERIES_TABLE,
    QUALITY_TABLE,
    REJECTS_TABLE,
    LakeTables,
    bronze_table,
    equals,
)
from ingestors.ledger import (
    DeliveryRecord,
    DeliveryStatus,
    audit,
    loaded_delivery_with_content,
    record_delivery,
)
from ingestors.preparing import KeyLoader, Preparation, Preparer, PreparingProcesses, PreparingThreads
from ingestors.quality import QualityAccumulator, prepared_quality_report, write_quality
from ingestors.readers import BATCH_ROWS, ROW_NUMBER, DeliveryReader, open_delivery
from ingestors.validate import ISSUE_SCHEMA, SeenKeys, validate
from privacy.agreement import SharingAgreement, load_agreements
from privacy.prepare import PREPARED_SUFFIX, read_prepared
from privacy.protect import (
    LINEAGE_SCHEMA,
    RECORD_KEY,
    KeyRing,
    bronze_schema,
    coarsen_postcode_tokens,
    protect,
)
from storage import ObjectInfo, ObjectNotFound, Store

log = logging.getLogger(__name__)

LANDING, ARCHIVE, QUARANTINE = "landing", "archive", "quarantine"
QUARANTINED_ORIGINALS = "quarantined"  # folder of the archive zone holding originals of quarantined files
STAMPED_LINEAGE = ("_delivery_id", "_source_file", "_period", "_ingested_at", "_contract_version", "_agreement_version")
HASH_CHUNK_BYTES = 8 * 1024 * 1024
# Protected batches wait for the Delta commit in an uncompressed Arrow IPC file. Measured per million police
# nominals, staging there costs about 0.5 s of CPU against 3.4 s for a Parquet file (encoding it, then decoding it
# again for the Delta writer), at the price of temporary local disk (about 0.8 GB per million such rows), deleted
# with the work directory.
STAGED_FILE = "bronze.arrow"
# Record batches of the staged file, as handed to the Delta writer. The writer holds on to the batches of the file
# it is filling: with 250,000-row batches a 5-million-row commit peaked at 2.2 GB and with 65,536-row ones at 1.4 GB
# (and less CPU).
STAGED_BATCH_ROWS = 65_536
# Files read, validated and protected at once while earlier ones are written, in worker processes or threads (see
# `ingestors.preparing`). On two cores, two files at a time on threads took force-scale ingestion from 3.23 to
# 2.22-2.46 times the lower bound's time and three were no better within the noise; each file being prepared holds
# up to two batches in memory (docs/performance.md).
DEFAULT_PREPARE_WORKERS = 2
# Written files whose small lake writes (rejects, quality, ledger, audit) are committed together. Each such commit
# cost 10 to 60 ms whatever its size, four per file, which made the writing thread the bottleneck for monthly files
# of 20,000 rows (docs/performance.md). Outcomes are reported, and originals archived, once per batch.
DEFAULT_RECORD_BATCH_FILES = 16
PREPARE_WORKERS_ENV = "VRLAKE_INGEST_WORKERS"
# Starting worker processes (new interpreters importing Polars, Arrow and delta-rs) takes about a second, which
# processes earned back at about 0.02 s per MB of monthly police and probation files (docs/performance.md): less
# than 64 MiB of files in one run is prepared on threads.
MIN_BYTES_FOR_PROCESSES = 64 * 2**20
REJECTS_SCHEMA: dict[str, pl.DataType] = {
    "_delivery_id": pl.String(),
    "feed": pl.String(),
    "source_file": pl.String(),
    "line_number": pl.Int64(),
    "column": pl.String(),
    "rule": pl.String(),
    "message": pl.String(),
    "raw_value": pl.String(),
    "action": pl.String(),
}


@dataclass(frozen=True)
class IngestContext:
    """What an ingestion needs besides the file. Built by the caller (CLI or Dagster resource)."""

    store: Store
    keys: KeyRing
    postcode_lookup: pl.DataFrame
    today: dt.date = field(default_factory=dt.date.today)
    run_id: str | None = None
    user: str | None = None
    contracts: Mapping[str, FeedContract] = field(default_factory=load_contracts)
    agreements: Mapping[str, SharingAgreement] = field(default_factory=load_agreements)
    batch_rows: int = BATCH_ROWS
    prepare_workers: int = DEFAULT_PREPARE_WORKERS
    record_batch_files: int = DEFAULT_RECORD_BATCH_FILES
    # How a worker process loads this same key (see `ingestors.preparing`). Without it, files are prepared on
    # threads of this process.
    key_loader: KeyLoader | None = None
    # The lake's tables, opened once per context instead of several times per delivered file.
    lake: LakeTables = field(init=False, repr=False, compare=False)
    preparation: Preparation = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.prepare_workers < 1:
            raise ValueError(f"prepare_workers must be at least 1, got {self.prepare_workers}")
        if self.record_batch_files < 1:
            raise ValueError(f"record_batch_files must be at least 1, got {self.record_batch_files}")
        object.__setattr__(self, "lake", LakeTables(self.store))
        preparation = Preparation(
            contracts=self.contracts,
            agreements=self.agreements,
            keys=self.keys,
            postcode_lookup=self.postcode_lookup,
            today=self.today,
            batch_rows=self.batch_rows,
        )
        object.__setattr__(self, "preparation", preparation)


@dataclass(frozen=True)
class PreparedDelivery:
    """A file read, validated and protected, waiting for its lake writes: nothing of it is in the lake yet.

    ``staged`` holds the protected rows only (no file when every row was rejected); it lives in the delivery's
    temporary work folder, which is removed once the delivery is written.
    """

    record: DeliveryRecord
    contract: FeedContract
    agreement: SharingAgreement
    staged: Path
    issues: pl.DataFrame
    quality: dict[str, object]
    matched_by: str


@dataclass
class _Delivery:
    """One file on its way through `ingest_files`: received in the calling thread, prepared by a worker."""

    landing_path: str
    base: DeliveryRecord
    resources: ExitStack  # the local copy of the file and the work folder; closed once the delivery is written
    earlier: Mapping[str, object] | None = None  # an earlier load of the same content, found before preparing
    prepared: Future[PreparedDelivery] | None = None


@dataclass(frozen=True)
class DeliveryOutcome:
    """What happened to one delivered file. Safe to log and to attach as Dagster metadata (no identifiers)."""

    record: DeliveryRecord
    explanation: str | None = None
    quality: Mapping[str, object] = field(default_factory=dict)

    @property
    def status(self) -> DeliveryStatus:
        return self.record.status


def conform(frame: pl.DataFrame, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """`frame` in the table's column order and types; optional columns a partner did not send become null."""
    unexpected = set(frame.columns) - set(schema)
    if unexpected:
        raise ValueError(f"columns not in the table schema: {sorted(unexpected)}")
    return frame.select(
        (pl.col(c) if c in frame.columns else pl.lit(None)).cast(dtype).alias(c) for c, dtype in schema.items()
    )


def record_time() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def delivery_identity(content_sha: str, period: str | None) -> str:
    """The delivery id: the content hash, or for snapshot feeds the hash of (content, period)."""
    if period is None:
        return content_sha[:24]
    return hashlib.sha256(f"{content_sha}|{period}".encode()).hexdigest()[:24]


def content_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def pending_files(store: Store, partner: str | None = None) -> list[ObjectInfo]:
    """Files waiting in the drop zones (all partners, or one), oldest path first."""
    prefix = f"{partner}/" if partner else ""
    return [o for o in store.list(LANDING, prefix) if "/" in o.path and not o.path.endswith("/")]


def prepare_workers(env: Mapping[str, str]) -> int:
    """How many files ingestion prepares at once: ``VRLAKE_INGEST_WORKERS`` or ``DEFAULT_PREPARE_WORKERS``."""
    configured = env.get(PREPARE_WORKERS_ENV, "").strip()
    if not configured:
        return DEFAULT_PREPARE_WORKERS
    if not configured.isdigit() or int(configured) < 1:
        raise ValueError(f"{PREPARE_WORKERS_ENV} must be a whole number of files, at least 1; got {configured!r}")
    return int(configured)


def ingest_file(ctx: IngestContext, landing_path: str) -> DeliveryOutcome:
    """Ingest `landing/<partner>/<file>`. Idempotent per file content; never raises for a bad file (quarantines)."""
    return ingest_files(ctx, [landing_path])[0]


def ingest_files(
    ctx: IngestContext,
    landing_paths: Iterable[str],
    *,
    on_outcome: Callable[[DeliveryOutcome], None] | None = None,
) -> list[DeliveryOutcome]:
    """Ingest files in the order given, with the outcomes in that order (`on_outcome` is called as each is recorded).

    Guarantee: the lake, the ledger, the archive and the quarantine end up with exactly the rows and files of
    `ingest_file` called on each file in turn, and every write happens in the calling thread, in file order. Bronze
    rows are committed file by file. The rejects, quality, ledger and audit rows of up to `ctx.record_batch_files`
    files are committed together (the ledger after the rest), and only then are those originals archived and their
    outcomes reported; a crash before that leaves them in the drop zone, and the rerun replaces their bronze rows.
    What runs ahead, in up to `ctx.prepare_workers` worker processes or threads, is reading, validating and
    protecting later files, which writes nothing but each file's own temporary staged rows. A file identical to one
    earlier in the same call is still recorded as its duplicate: duplicates are checked again just before writing,
    against the ledger and the rows not yet committed.

    A bad file is quarantined and the others go on. An unexpected error (storage, an identifier about to leak) stops
    the call: the files already written stay written, the rest stay in the drop zone for the next run.
    """
    outcomes: list[DeliveryOutcome] = []
    waiting: deque[_Delivery] = deque()
    unrecorded: list[tuple[str, DeliveryOutcome]] = []  # written, with their ledger rows still held in memory

    def record_written() -> None:
        """Commit the held rejects, quality, ledger and audit rows; only then archive the originals and report."""
        ctx.lake.flush()
        while unrecorded:  # taken off first, so a failure part-way never archives or reports a file twice
            landing_path, outcome = unrecorded.pop(0)
            if outcome.status is not DeliveryStatus.QUARANTINED:  # a quarantined original is already in the archive
                _archive(ctx, landing_path, outcome.record)
            outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)

    def write_oldest() -> None:
        delivery = waiting.popleft()
        with delivery.resources:
            outcome = _write(ctx, delivery)
        unrecorded.append((delivery.landing_path, outcome))
        # A quarantined original has left the drop zone, so its ledger row must not wait for other files.
        if outcome.status is DeliveryStatus.QUARANTINED or len(unrecorded) >= ctx.record_batch_files:
            record_written()

    arrivals = [(landing_path, _stored(ctx, landing_path)) for landing_path in landing_paths]
    size = sum(info.size for _, info in arrivals if info is not None)
    with (
        ctx.lake.deferring(REJECTS_TABLE, QUALITY_TABLE, DELIVERIES_TABLE, AUDIT_TABLE),
        _preparer(ctx, len(arrivals), size) as preparing,
    ):
        try:
            for landing_path, info in arrivals:
                waiting.append(_receive(ctx, landing_path, info, preparing))
                # One file more than there are workers: while the oldest is written, every worker stays busy.
                if len(waiting) > ctx.prepare_workers:
                    write_oldest()
            while waiting:
                write_oldest()
            record_written()
        except BaseException:
            for delivery in waiting:
                if delivery.prepared is not None:
                    delivery.prepared.cancel()
            preparing.shutdown(wait=True)  # before removing the files the workers may still be reading
            for delivery in waiting:
                delivery.resources.close()
            record_written()  # the files written before the failure are recorded and archived
            raise
    return outcomes


def prepares_in_processes(ctx: IngestContext, files: int, size_bytes: int) -> bool:
    """Whether `ingest_files` on `files` files of `size_bytes` in all prepares them in worker processes: when the
    workers can load the key themselves and the files are enough work to repay starting them. Otherwise threads."""
    return ctx.key_loader is not None and files >= 2 and size_bytes >= MIN_BYTES_FOR_PROCESSES


def _preparer(ctx: IngestContext, files: int, size_bytes: int) -> Preparer:
    if ctx.key_loader is not None and prepares_in_processes(ctx, files, size_bytes):
        return PreparingProcesses(ctx.preparation, min(ctx.prepare_workers, files), ctx.key_loader)
    return PreparingThreads(ctx.preparation, ctx.prepare_workers)


def _stored(ctx: IngestContext, landing_path: str) -> ObjectInfo | None:
    # One object's metadata, not a listing of the whole drop zone (which grows with the files waiting).
    try:
        return ctx.store.info(LANDING, landing_path)
    except ObjectNotFound:
        return None  # fetching it reports that


def _receive(ctx: IngestContext, landing_path: str, info: ObjectInfo | None, preparing: Preparer) -> _Delivery:
    """Fetch the file and fingerprint its content (calling thread), then start preparing it unless it is a known
    duplicate."""
    partner, name = _split_landing_path(landing_path)
    received_at = info.last_modified if info is not None else dt.datetime.now(dt.UTC)
    resources = ExitStack()
    try:
        local = resources.enter_context(ctx.store.local_file(LANDING, landing_path))
        sha = content_sha256(local)
        base = DeliveryRecord(
            delivery_id=delivery_identity(sha, None),
            feed=None,
            partner=partner,
            period=None,
            source_file=name,
            content_sha256=sha,
            status=DeliveryStatus.LOADED,
            received_at=received_at,
            run_id=ctx.run_id,
        )
        delivery = _Delivery(landing_path=landing_path, base=base, resources=resources)
        delivery.earlier = _known_duplicate(ctx, base)
        if delivery.earlier is None:
            work = Path(resources.enter_context(tempfile.TemporaryDirectory(prefix="vrlake-ingest-")))
            delivery.prepared = preparing.submit(_prepare, local, base, work)
        return delivery
    except BaseException:
        resources.close()
        raise


def _write(ctx: IngestContext, delivery: _Delivery) -> DeliveryOutcome:
    """Record the delivery as a duplicate, quarantine it, or write it to the lake (calling thread only)."""
    if delivery.earlier is not None:
        return _duplicate(ctx, delivery.base, delivery.earlier)
    assert delivery.prepared is not None
    try:
        prepared = delivery.prepared.result()
    except FileRejected as rejected:
        return _quarantine(ctx, delivery.landing_path, delivery.base, rejected)
    # Checked again now: an identical file earlier in the same run may have been loaded since this one was received.
    earlier = _earlier_delivery(ctx, delivery.base, prepared.contract, prepared.record.period or "")
    if earlier is not None:
        return _duplicate(ctx, delivery.base, earlier)
    return _commit(ctx, prepared)


def _known_duplicate(ctx: IngestContext, base: DeliveryRecord) -> Mapping[str, object] | None:
    """The earlier load of this content when the file name already says its feed and period, so a file sent again
    is not read again. Files recognised only by their header, and prepared files, are checked once prepared."""
    if base.source_file.lower().endswith(PREPARED_SUFFIX):
        return None
    match = feed_from_name(base.source_file, ctx.contracts)
    if match is None:
        return None
    try:
        _agreement_in_force(ctx.preparation, match.contract, base)
    except FileRejected:
        return None  # preparing it quarantines it, with the reason
    return _earlier_delivery(ctx, base, match.contract, _period(match, base))


def _prepare(preparation: Preparation, local: Path, base: DeliveryRecord, work: Path) -> PreparedDelivery:
    """Read, validate and protect one file into `work`. Writes nothing else; raises `FileRejected` for a bad file."""
    if base.source_file.lower().endswith(PREPARED_SUFFIX):
        return _prepare_protected_file(preparation, local, base, work)
    return _prepare_raw(preparation, local, base, work)


def _prepare_raw(preparation: Preparation, local: Path, base: DeliveryRecord, work: Path) -> PreparedDelivery:
    """A partner's raw extract, streamed batch by batch: memory is bounded by the batch, not the file.

    Protected batches are staged in a local Arrow file (pseudonymised data only) and committed to the lake in one
    Delta write, so a failure part-way leaves the lake unchanged.
    """
    partner_contracts = [c for c in preparation.contracts.values() if c.partner == base.partner]
    by_name = feed_from_name(base.source_file, preparation.contracts)
    candidates = [by_name.contract] if by_name else partner_contracts
    reader = open_delivery(local, base.source_file, candidates, workdir=work, batch_rows=preparation.batch_rows)
    match = by_name or feed_from_headers(base.source_file, reader.headers, base.partner, preparation.contracts)
    contract = match.contract
    agreement = _agreement_in_force(preparation, contract, base)
    period = _period(match, base)
    identified = DeliveryRecord(**{**base.__dict__, "delivery_id": _delivery_id(base, contract, period)})
    header_map, unrecognised = map_headers(reader.headers, contract)
    not_agreed = [c for c in header_map.values() if c not in agreement.shared_fields]
    record = _record(identified, contract, agreement, period, sorted([*unrecognised, *not_agreed]))
    lineage = _lineage(record, contract, agreement)
    schema = bronze_schema(contract, agreement)
    line_offset = 0 if reader.file_format == "jsonl" else reader.header_line
    staged = work / STAGED_FILE
    quality = QualityAccumulator(contract)
    seen = SeenKeys()
    issues: list[pl.DataFrame] = []
    writer: pa.ipc.RecordBatchFileWriter | None = None

    def stage(valid: pl.DataFrame) -> None:
        """Protect one batch of valid rows and append it to the staged file (only protected rows are staged)."""
        nonlocal writer
        protected = protect(valid, contract, agreement, preparation.keys, preparation.postcode_lookup, lineage)
        table = conform(protected, schema).to_arrow()
        writer = writer or pa.ipc.new_file(str(staged), table.schema)
        writer.write_table(table, max_chunksize=STAGED_BATCH_ROWS)

    staging: Future[None] | None = None
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="vrlake-protect") as protecting:
            for batch in reader.batches():
                # Columns outside the agreement go first, before anything else touches the values.
                canonical = batch.rename(header_map).select(ROW_NUMBER, *[c for c in header_map.values() if c not in not_agreed])
                result = validate(canonical, contract, seen)
                quality.add(canonical, result)
                record.rows_read += canonical.height
                record.rows_loaded += result.valid.height
                record.rows_rejected += result.rows_rejected
                issues.append(result.issues.with_columns((pl.col(ROW_NUMBER) + line_offset).alias(ROW_NUMBER)))
                # Batch n is protected in the background while batch n+1 is read and validated: keyed hashing is
                # single-threaded Python, reading and validation are Polars work that runs without the GIL, so
                # they overlap on separate cores. Waiting for batch n-1 first keeps staged rows in file order and
                # at most two batches in memory; `result()` re-raises any failure (e.g. `IdentifierLeak`).
                if staging is not None:
                    staging.result()
                staging = protecting.submit(stage, result.valid)
            if staging is not None:
                staging.result()
    finally:
        if writer is not None:
            writer.close()
    malformed = _malformed_issues(reader)
    record.rows_read += malformed.height
    record.rows_rejected += malformed.height
    all_issues = pl.concat([*issues, malformed]) if issues else malformed
    record.values_removed = all_issues.filter(pl.col("action") == "value_removed").height
    return PreparedDelivery(record, contract, agreement, staged, all_issues, quality.report(record), match.matched_by)


def _malformed_issues(reader: DeliveryReader) -> pl.DataFrame:
    """Records that could not be parsed at all (JSON lines), as row rejections."""
    if reader.malformed_rows is None or reader.malformed_rows.height == 0:
        return pl.DataFrame(schema=ISSUE_SCHEMA)
    return reader.malformed_rows.select(
        ROW_NUMBER,
        pl.lit("(record)").alias("column"),
        pl.lit("malformed_record").alias("rule"),
        pl.col("message"),
        pl.lit(None, dtype=pl.String).alias("raw_value"),
        pl.lit("row_rejected").alias("action"),
    ).cast(ISSUE_SCHEMA)


def _prepare_protected_file(
    preparation: Preparation, local: Path, base: DeliveryRecord, work: Path
) -> PreparedDelivery:
    """A file written by `vrlake prepare` on the partner's machine: already protected, checked and loaded as is."""
    prepared = read_prepared(local, base.source_file)
    meta = prepared.metadata
    contract = preparation.contracts.get(str(meta.get("feed")))
    if contract is None:
        raise FileRejected(QuarantineReason.UNKNOWN_FEED, f"'{base.source_file}' names an unknown feed {meta.get('feed')!r}.")
    agreement = _agreement_in_force(preparation, contract, base)
    if meta.get("key_fingerprint") != preparation.keys.fingerprint:
        raise FileRejected(
            QuarantineReason.PREPARED_WITH_OTHER_KEY,
            f"'{base.source_file}' was prepared with a different pseudonymisation key (fingerprint "
            f"{meta.get('key_fingerprint')}), so its pseudonyms would never link. Prepare it again with the key the VRU "
            "shared with you.",
        )
    if (meta.get("contract_version"), meta.get("agreement_version")) != (contract.version, agreement.version):
        raise FileRejected(
            QuarantineReason.PREPARED_WITH_OTHER_KEY,
            f"'{base.source_file}' was prepared for contract v{meta.get('contract_version')} and agreement "
            f"v{meta.get('agreement_version')}; the VRU now uses contract v{contract.version} and agreement "
            f"v{agreement.version}. Update vrlake and prepare the file again.",
        )
    period = _period(feed_from_name(base.source_file, preparation.contracts), base)
    identified = DeliveryRecord(**{**base.__dict__, "delivery_id": _delivery_id(base, contract, period)})
    frame = coarsen_postcode_tokens(prepared.frame, contract, agreement, preparation.postcode_lookup)
    # Optional fields a partner does not hold are simply absent (they load as null); anything else is refused.
    expected = set(bronze_schema(contract, agreement)) - set(STAMPED_LINEAGE)
    unexpected = sorted(set(frame.columns) - expected)
    if unexpected or not {RECORD_KEY, ROW_NUMBER} <= set(frame.columns):
        raise FileRejected(
            QuarantineReason.UNSUPPORTED_FORMAT,
            f"'{base.source_file}' does not have the columns of a prepared {contract.title} file "
            f"(unexpected: {unexpected}). Prepare it again with the current vrlake.",
        )
    record = _record(identified, contract, agreement, period, list(meta.get("fields_dropped") or []))  # type: ignore[arg-type]
    record.rows_read = record.rows_loaded = frame.height
    stamped = frame.with_columns(
        pl.lit(value, dtype=LINEAGE_SCHEMA[column]).alias(column)
        for column, value in _lineage(record, contract, agreement).items()
    )
    staged = work / STAGED_FILE
    table = conform(stamped, bronze_schema(contract, agreement)).to_arrow()
    with pa.ipc.new_file(str(staged), table.schema) as writer:
        writer.write_table(table, max_chunksize=STAGED_BATCH_ROWS)
    quality = prepared_quality_report(frame, record, meta)
    rejects = pl.DataFrame(schema=ISSUE_SCHEMA)
    return PreparedDelivery(record, contract, agreement, staged, rejects, quality, "prepared file")


def _staged_reader(staged: Path, schema: Mapping[str, pl.DataType]) -> pa.RecordBatchReader | pl.DataFrame:
    """The staged rows as a stream for one Delta commit (an empty frame when every row was rejected)."""
    if not staged.exists():
        return pl.DataFrame(schema=dict(schema))
    handle = pa.OSFile(str(staged))  # read batch by batch, not memory-mapped: memory stays bounded by a batch
    source = pa.ipc.open_file(handle)

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            for index in range(source.num_record_batches):
                yield source.get_batch(index)
        finally:
            handle.close()

    return pa.RecordBatchReader.from_batches(source.schema, batches())


def _agreement_in_force(preparation: Preparation, contract: FeedContract, base: DeliveryRecord) -> SharingAgreement:
    if contract.partner != base.partner:
        raise FileRejected(
            QuarantineReason.WRONG_DROP_ZONE,
            f"'{base.source_file}' is a {contract.partner} feed ({contract.title}) but arrived in the {base.partner} "
            f"drop zone. Each partner may only deliver its own feeds; send it from the {contract.partner} drop zone.",
        )
    agreement = preparation.agreements.get(contract.feed)
    if agreement is None:
        raise FileRejected(
            QuarantineReason.NO_AGREEMENT,
            f"There is no data-sharing agreement for {contract.title}, so nothing from it may be kept.",
        )
    refusal = agreement.refusal_reason(preparation.today)
    if refusal:
        raise FileRejected(QuarantineReason.AGREEMENT_NOT_IN_FORCE, refusal)
    return agreement


def _period(by_name: FeedMatch | None, base: DeliveryRecord) -> str:
    # A name without a period falls back to the month of receipt, which the quality report shows the partner.
    if by_name is not None and by_name.period:
        return by_name.period
    return (base.received_at or record_time()).strftime("%Y-%m")


def _delivery_id(base: DeliveryRecord, contract: FeedContract, period: str) -> str:
    """An unchanged snapshot sent for a new period is that period's data, not a duplicate: for snapshot feeds the
    period is part of a delivery's identity; for incremental feeds the content alone is."""
    snapshot = contract.delivery is DeliverySemantics.PERIOD_SNAPSHOT
    return delivery_identity(base.content_sha256, period if snapshot else None)


def _earlier_delivery(
    ctx: IngestContext, base: DeliveryRecord, contract: FeedContract, period: str
) -> Mapping[str, object] | None:
    """The ledger entry of an earlier load of this delivery (same content; for snapshot feeds, same period too)."""
    snapshot = contract.delivery is DeliverySemantics.PERIOD_SNAPSHOT
    return loaded_delivery_with_content(
        ctx.store, base.content_sha256, period=period if snapshot else None, tables=ctx.lake
    )


def _record(
    base: DeliveryRecord, contract: FeedContract, agreement: SharingAgreement, period: str, dropped: list[str]
) -> DeliveryRecord:
    record = DeliveryRecord(**{**base.__dict__, "feed": contract.feed, "period": period})
    record.fields_dropped = dropped
    record.contract_version, record.agreement_version = contract.version, agreement.version
    return record


def _lineage(record: DeliveryRecord, contract: FeedContract, agreement: SharingAgreement) -> dict[str, object]:
    return {
        "_delivery_id": record.delivery_id,
        "_source_file": record.source_file,
        "_period": record.period,
        "_ingested_at": record.ingested_at,
        "_contract_version": contract.version,
        "_agreement_version": agreement.version,
    }


def _commit(ctx: IngestContext, prepared: PreparedDelivery) -> DeliveryOutcome:
    """Write the delivery: bronze rows from `staged` (one scoped replace, committed now), then rejects, quality,
    ledger and audit (held by `ctx.lake` until `ingest_files` flushes them and archives the original)."""
    record, contract, agreement, quality = prepared.record, prepared.contract, prepared.agreement, prepared.quality
    if record.rows_read != record.rows_loaded + record.rows_rejected:  # must never pass silently
        raise RuntimeError(f"row accounting broken for {record.source_file}")
    snapshot = contract.delivery is DeliverySemantics.PERIOD_SNAPSHOT
    scope = equals("_period", record.period or "") if snapshot else equals("_delivery_id", record.delivery_id)
    staged = _staged_reader(prepared.staged, bronze_schema(contract, agreement))
    ctx.lake.replace_rows(bronze_table(contract.feed), staged, scope)
    rejects = prepared.issues.select(
        pl.lit(record.delivery_id).alias("_delivery_id"),
        pl.lit(contract.feed).alias("feed"),
        pl.lit(record.source_file).alias("source_file"),
        pl.col(ROW_NUMBER).alias("line_number"),
        "column",
        "rule",
        "message",
        "raw_value",
        "action",
    ).cast(REJECTS_SCHEMA)
    ctx.lake.replace_rows(REJECTS_TABLE, rejects, equals("_delivery_id", record.delivery_id))
    write_quality(ctx.store, contract, record, quality, tables=ctx.lake)
    record_delivery(ctx.store, record, tables=ctx.lake)
    audit(
        ctx.store,
        "ingestion",
        run_id=ctx.run_id,
        user=ctx.user,
        feed=contract.feed,
        delivery_id=record.delivery_id,
        tables=ctx.lake,
        detail={
            "source_file": record.source_file,
            "rows_read": record.rows_read,
            "rows_loaded": record.rows_loaded,
            "rows_rejected": record.rows_rejected,
            "fields_dropped": record.fields_dropped,
            "matched_by": prepared.matched_by,
        },
    )
    log.info(
        "loaded %s as %s: %d read, %d loaded, %d rejected",
        record.source_file, contract.feed, record.rows_read, record.rows_loaded, record.rows_rejected,
    )
    return DeliveryOutcome(record=record, quality=quality)


def _duplicate(ctx: IngestContext, base: DeliveryRecord, earlier: Mapping[str, object]) -> DeliveryOutcome:
    record = DeliveryRecord(**{**base.__dict__, "feed": earlier["feed"], "period": earlier["period"]})
    record.status = DeliveryStatus.DUPLICATE
    record.reason = f"identical content to '{earlier['source_file']}' loaded at {earlier['ingested_at']}"
    record_delivery(ctx.store, record, tables=ctx.lake)
    audit(ctx.store, "duplicate_delivery", run_id=ctx.run_id, user=ctx.user, feed=record.feed,
          delivery_id=record.delivery_id, detail={"source_file": record.source_file, "same_as": earlier["source_file"]},
          tables=ctx.lake)
    explanation = (
        f"'{record.source_file}' has exactly the same content as '{earlier['source_file']}', which was already "
        "loaded. It was not loaded again."
    )
    log.info(explanation)
    return DeliveryOutcome(record=record, explanation=explanation)


def _quarantine(ctx: IngestContext, landing_path: str, base: DeliveryRecord, rejected: FileRejected) -> DeliveryOutcome:
    record = DeliveryRecord(**base.__dict__)
    record.status = DeliveryStatus.QUARANTINED
    record.reason = rejected.reason.value
    stamp = record.ingested_at.strftime("%Y%m%dT%H%M%S")
    target = f"{record.partner}/{stamp}_{record.delivery_id[:8]}_{record.source_file}"
    # The original is identifiable, so it is kept in the archive zone; the quarantine zone holds only the reasons.
    original = f"{QUARANTINED_ORIGINALS}/{target}"
    reason = {
        "file": record.source_file,
        "partner": record.partner,
        "reason": rejected.reason.value,
        "explanation": rejected.explanation,
        "details": rejected.details,
        "content_sha256": record.content_sha256,
        "quarantined_at": record.ingested_at.isoformat(),
        "run_id": ctx.run_id,
        "original_kept_at": f"{ARCHIVE}/{original}",
    }
    ctx.store.move(LANDING, landing_path, ARCHIVE, original)
    ctx.store.write_text(QUARANTINE, f"{target}.reason.json", json.dumps(reason, indent=2, default=str))
    ctx.store.write_text(QUARANTINE, f"{target}.reason.txt", _plain_reason(record, rejected))
    record_delivery(ctx.store, record, tables=ctx.lake)
    audit(ctx.store, "quarantine", run_id=ctx.run_id, user=ctx.user, delivery_id=record.delivery_id,
          detail={"source_file": record.source_file, "reason": rejected.reason.value, "original_kept_at": original},
          tables=ctx.lake)
    log.warning("quarantined %s: %s", record.source_file, rejected.explanation)
    return DeliveryOutcome(record=record, explanation=rejected.explanation)


def _plain_reason(record: DeliveryRecord, rejected: FileRejected) -> str:
    return (
        f"vrlake could not load the file '{record.source_file}' delivered by {record.partner}.\n\n"
        f"Why: {rejected.explanation}\n\n"
        "Nothing from this file has been loaded. The file is kept, unchanged, in the VRU's secure archive until the "
        "retention period of the data-sharing agreement ends. "
        "Once the problem is fixed, deliver the corrected file to your drop zone as usual.\n"
        f"(reason code: {rejected.reason.value}; file fingerprint: {record.content_sha256[:16]})\n"
    )


def _archive(ctx: IngestContext, landing_path: str, record: DeliveryRecord) -> None:
    stamp = record.ingested_at.strftime("%Y/%m/%d")
    target = f"{record.partner}/{stamp}/{record.delivery_id[:8]}_{record.source_file}"
    ctx.store.move(LANDING, landing_path, ARCHIVE, target)


def _split_landing_path(landing_path: str) -> tuple[str, str]:
    parts = PurePosixPath(landing_path).parts
    if len(parts) < 2:
        raise ValueError(f"expected landing/<partner>/<file>, got {landing_path!r}")
    return parts[0], parts[-1]

