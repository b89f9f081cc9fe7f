"""Delta tables in the `lake` zone: where each table lives and the one idempotent way vrlake writes them.

Every write is a *scoped replace*: one Delta commit that deletes the rows matching a predicate (a delivery, or a
feed's period) and inserts the new rows. A Delta commit is atomic, so a crash leaves either the old rows or the new
ones, and a rerun of the same delivery replaces its own rows instead of adding a second copy.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import polars as pl
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

from storage import Store

BRONZE_PREFIX = "bronze"
REJECTS_TABLE = "ops/rejects"
DELIVERIES_TABLE = "ops/deliveries"
QUALITY_TABLE = "ops/quality"
AUDIT_TABLE = "ops/audit"
REFERENCE_AREAS_TABLE = "reference/areas"
REFERENCE_POPULATION_TABLE = "reference/population"
REFERENCE_POSTCODES_TABLE = "reference/postcode_lsoa"
CHECKPOINT_INTERVAL_PROPERTY = "delta.checkpointInterval"
DEFAULT_CHECKPOINT_INTERVAL = 100  # delta-rs's default, for tables without the property
# Tables committed to on every delivery (bronze and ops) get a checkpoint every 10 commits instead of 100. Every
# open, and every commit (delta-rs brings its snapshot up to date), replays the log since the last checkpoint: a
# one-row ledger append cost 4 to 8 ms of CPU with 10 and 9 to 15 ms with 100, checkpoints included.
PER_DELIVERY_TABLE_PROPERTIES = {CHECKPOINT_INTERVAL_PROPERTY: "10"}
_SOURCE_FILE = "__vrlake_data_file"  # not a column name vrlake uses


def bronze_table(feed: str) -> str:
    return f"{BRONZE_PREFIX}/{feed}"


def table_exists(store: Store, table: str) -> bool:
    # Checks for the log without replaying it (opening a table reads every commit since its last checkpoint).
    return DeltaTable.is_deltatable(store.delta_uri(table), storage_options=store.delta_storage_options())


def read_table(store: Store, table: str, schema: Mapping[str, pl.DataType] | None = None) -> pl.DataFrame:
    """The whole table, or an empty frame with `schema` when it does not exist yet."""
    if not table_exists(store, table):
        return pl.DataFrame(schema=dict(schema or {}))
    return pl.read_delta(store.delta_uri(table), storage_options=store.delta_storage_options() or None)


def scan_table(store: Store, table: str) -> pl.LazyFrame:
    return pl.scan_delta(store.delta_uri(table), storage_options=store.delta_storage_options() or None)


def ensure_table(
    store: Store, table: str, schema: Mapping[str, pl.DataType], *, properties: Mapping[str, str] | None = None
) -> bool:
    """Create an empty table with `schema` if it does not exist, and give it the table `properties` (an existing
    table gets those it lacks, in one commit). Returns True when the table was created."""
    if table_exists(store, table):
        if properties:
            existing = DeltaTable(store.delta_uri(table), storage_options=store.delta_storage_options())
            configured = existing.metadata().configuration
            missing = {name: value for name, value in properties.items() if configured.get(name) != value}
            if missing:
                existing.alter.set_table_properties(missing)
        return False
    write_deltalake(
        store.delta_uri(table),
        pl.DataFrame(schema=dict(schema)).to_arrow(),
        mode="append",
        configuration=dict(properties) if properties else None,
        storage_options=store.delta_storage_options() or None,
    )
    return True


class LakeTables:
    """The Delta tables of one store, each opened once and brought up to date before every use.

    Opening a table replays its log from the last checkpoint (every 10 commits for per-delivery tables, 100 for
    others): 3 to 20 ms locally, and several round trips on Azure. Bringing an open table up to date reads only the commits made
    since, so a caller that uses the same tables again and again (ingestion: the ledger three times and five
    tables in all per delivered file) pays for each open about once per checkpoint. A handle is refreshed before
    every read or write, so it sees every commit made until then, by this process or another, exactly as a fresh
    open would. It is reopened when the store's storage options change (an Azure AD token renewed) and once a
    checkpoint newer than its own starting point exists: a handle kept longer replays an ever longer log on every
    commit (an append took 3 ms 50 commits after the open and 30 ms 500 commits after). Not thread-safe: one
    instance per run of sequential deliveries (each `IngestContext` has its own).
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._open: dict[str, _OpenTable] = {}
        self._read: dict[str, _ReadFiles] = {}
        self._deferred: dict[str, _DeferredWrites] = {}

    @contextmanager
    def deferring(self, *tables: str) -> Iterator[None]:
        """Hold writes to `tables` in memory until `flush`, which commits each table's writes at once, in the order
        `tables` are named; other tables are written at once, as usual.

        A Delta commit of a few rows costs 10 to 60 ms, most of it fixed (snapshot update, log and checkpoint
        writes), so ingestion's four small per-delivery writes (rejects, quality, ledger, audit) dominated the cost
        of a small file; deferred, they cost that once per batch of files. `read` of a deferred table includes the
        held rows, so duplicate checks and the quality report's previous volume see them. Held writes are lost if
        the process dies, so the caller must write nothing that depends on them (archiving the original, say)
        until `flush` returns. Writes still held when the block ends are discarded: the caller flushes what it
        wants kept.
        """
        if self._deferred:
            raise RuntimeError("writes are already being deferred")
        self._deferred = {table: _DeferredWrites() for table in tables}
        try:
            yield
        finally:
            self._deferred = {}

    def flush(self) -> None:
        """Commit the deferred writes: one commit per table that has any, in the order the tables were named."""
        for table, held in self._deferred.items():
            if not held.frames:
                continue
            frame = pl.concat(held.frames, how="vertical_relaxed")
            if held.predicates:
                self._replace_now(table, frame, " OR ".join(f"({predicate})" for predicate in held.predicates))
            else:
                self._append_now(table, frame)
            self._deferred[table] = _DeferredWrites()

    def open(self, table: str) -> DeltaTable | None:
        """`table` at its latest version, or None when it does not exist yet."""
        options = self.store.delta_storage_options()
        cached = self._open.get(table)
        if cached is not None and cached.options == options:
            cached.handle.update_incremental()
            if not cached.passed_checkpoint():
                return cached.handle
        try:
            handle = DeltaTable(self.store.delta_uri(table), storage_options=options)
        except TableNotFoundError:
            self._open.pop(table, None)
            return None
        self._open[table] = _OpenTable(handle, options)
        return handle

    def read(self, table: str) -> pl.DataFrame | None:
        """The whole of a small table (the ledger) at its latest version, or None when it does not exist yet.

        Reads only the data files added since the previous call: a Delta data file never changes once written and
        a commit only adds or removes whole files, so the table's rows are the rows of its current files. (One
        file is added per delivery: reading them all again took 15 ms per delivery at 50 deliveries, and growing.)
        Tables whose data files alone do not hold their rows (partition columns, or reader features such as column
        mapping and deletion vectors) are read whole each time. Row order is not the table's: sort.
        """
        committed = self._read_committed(table)
        held = self._deferred.get(table)
        if held is None or not held.frames:
            return committed
        if held.predicates:
            raise RuntimeError(f"{table} has deferred replacements; flush before reading it")
        # Cached until either side changes: every Polars call in the writing thread queues behind the preparing
        # threads' work in Polars' shared pool (about 3 ms each, measured), and the ledger is read three times a file.
        if held.view is None or held.view[0] is not committed or held.view[1] != len(held.frames):
            rows = pl.concat([*([] if committed is None else [committed]), *held.frames], how="diagonal_relaxed")
            held.view = (committed, len(held.frames), rows)
        return held.view[2]

    def _read_committed(self, table: str) -> pl.DataFrame | None:
        handle = self.open(table)
        if handle is None:
            self._read.pop(table, None)
            return None
        options = self.store.delta_storage_options() or None
        if handle.protocol().min_reader_version > 1 or handle.metadata().partition_columns:
            return pl.scan_delta(handle, storage_options=options).collect()
        schema = pl.Schema(handle.schema())
        files = handle.file_uris()
        known = self._read.get(table)
        if known is None or known.schema != schema:
            known = _ReadFiles(schema, pl.DataFrame(schema={**schema, _SOURCE_FILE: pl.String()}), set())
        current = set(files)
        if not known.files <= current:  # files removed (a scoped replace, optimize or vacuum)
            known.frame = known.frame.filter(pl.col(_SOURCE_FILE).is_in(list(current)))
            known.files &= current
        added = [f for f in files if f not in known.files]
        if added:
            new_rows = pl.scan_parquet(
                added,
                schema=schema,
                missing_columns="insert",
                extra_columns="ignore",
                include_file_paths=_SOURCE_FILE,
                storage_options=options,
            ).collect()
            known.frame = pl.concat([known.frame, new_rows.select(known.frame.columns)], rechunk=False)
            known.files.update(added)
        self._read[table] = known
        if known.rows is None or known.rows[0] is not known.frame:
            known.rows = (known.frame, known.frame.drop(_SOURCE_FILE))
        return known.rows[1]

    def replace_rows(self, table: str, frame: pl.DataFrame | pa.RecordBatchReader, predicate: str) -> None:
        """See the module-level `replace_rows`. Deferred tables take data frames only."""
        held = self._deferred.get(table)
        if held is None:
            self._replace_now(table, frame, predicate)
            return
        if not isinstance(frame, pl.DataFrame) or (held.frames and held.predicates is None):
            raise TypeError(f"deferred writes to {table} must all be data frames, and all appends or all replacements")
        held.frames.append(frame)
        held.predicates = [*(held.predicates or []), predicate]

    def append_rows(self, table: str, frame: pl.DataFrame) -> None:
        held = self._deferred.get(table)
        if held is None:
            self._append_now(table, frame)
            return
        if held.predicates:
            raise TypeError(f"deferred writes to {table} must be all appends or all replacements")
        held.frames.append(frame)

    def _replace_now(self, table: str, frame: pl.DataFrame | pa.RecordBatchReader, predicate: str) -> None:
        data = frame.to_arrow() if isinstance(frame, pl.DataFrame) else frame
        existing = self.open(table)
        if existing is None:
            self._create(table, data)
            return
        if isinstance(frame, pl.DataFrame) and frame.height == 0:
            # Replacing with nothing is deleting: one commit when rows match, and none at all (rather than an
            # empty one) when nothing does, the usual case (a delivery without rejected rows).
            existing.delete(predicate)
            return
        write_deltalake(existing, data, mode="overwrite", predicate=predicate, schema_mode=None)

    def _append_now(self, table: str, frame: pl.DataFrame) -> None:
        existing = self.open(table)
        if existing is None:
            self._create(table, frame.to_arrow())
            return
        write_deltalake(existing, frame.to_arrow(), mode="append")

    def _create(self, table: str, data: pa.Table | pa.RecordBatchReader) -> None:
        """A table that does not exist yet, holding `data`."""
        write_deltalake(
            self.store.delta_uri(table), data, mode="append", storage_options=self.store.delta_storage_options() or None
        )


@dataclass
class _DeferredWrites:
    """Rows held for one table until `LakeTables.flush`: appends, or replacements when `predicates` is set."""

    frames: list[pl.DataFrame] = field(default_factory=list)
    predicates: list[str] | None = None
    # The last `read`: the committed rows it was made from, how many frames were held, and committed + held rows.
    view: tuple[pl.DataFrame | None, int, pl.DataFrame] | None = None


@dataclass
class _ReadFiles:
    """The rows read so far of a table with `schema`, each tagged with its data file, and those files."""

    schema: pl.Schema
    frame: pl.DataFrame
    files: set[str]
    rows: tuple[pl.DataFrame, pl.DataFrame] | None = None  # (`frame` when made, that frame without the file column)


@dataclass
class _OpenTable:
    """A table handle, the storage options it was opened with and the version it was opened at."""

    handle: DeltaTable
    options: dict[str, str]
    opened_at: int = field(init=False)
    checkpoint_interval: int = field(init=False)

    def __post_init__(self) -> None:
        self.opened_at = self.handle.version()
        configured = self.handle.metadata().configuration.get(CHECKPOINT_INTERVAL_PROPERTY)
        self.checkpoint_interval = int(configured) if configured else DEFAULT_CHECKPOINT_INTERVAL

    def passed_checkpoint(self) -> bool:
        """Whether the table has been committed to past a version that delta-rs checkpoints (every
        `checkpoint_interval`-th) since the handle was opened: a fresh open then starts from that checkpoint."""
        interval = self.checkpoint_interval
        return (self.handle.version() + 1) // interval > (self.opened_at + 1) // interval


def replace_rows(store: Store, table: str, frame: pl.DataFrame | pa.RecordBatchReader, predicate: str) -> None:
    """Atomically replace the rows matching `predicate` with `frame` or a stream of batches (creating the table if
    needed), in one Delta commit (none when there is nothing to delete and nothing to add).

    `predicate` is a SQL predicate built by `equals(...)` from known column names and escaped values.
    """
    LakeTables(store).replace_rows(table, frame, predicate)


def append_rows(store: Store, table: str, frame: pl.DataFrame) -> None:
    LakeTables(store).append_rows(table, frame)


def equals(column: str, value: str) -> str:
    """A Delta predicate `column = 'value'`, with the value's quotes escaped (values come from file names)."""
    if not column.replace("_", "").isalnum():
        raise ValueError(f"not a column name: {column!r}")
    return f"{column} = '{value.replace(chr(39), chr(39) * 2)}'"
