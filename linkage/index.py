"""The person index: source record -> stable ``person_key``, kept up to date incrementally, with every key change
recorded.

Three ways to (re)build it, all ending in the same key reconciliation:

* **initial**: no index yet: all records are scored and clustered;
* **incremental** (routine runs): only pairs involving records that are new since the last run are scored
  (``predict.score_new``, against the existing records a blocking rule can pair with them); existing people start
  as fixed groups, so an existing person keeps their key and their records; new records join them or form new
  people; a new record that links two existing people merges them. Only the people a new record links to, or
  whose records left the lake, are clustered again (``_relink_touched``); every other row is kept as it is;
* **full relink** (after retraining): everything is scored and clustered again with the new model, and each new
  cluster inherits the old key it overlaps most (so nobody is renumbered silently; clusters that broke apart or
  came together are recorded).

Key reconciliation (``assign_person_keys``): new clusters and old keys are paired greedily by the number of
records they share (largest first); a paired cluster keeps the old key. Every record whose key changes is
accounted for by one row of ``linkage/key_events``: ``merged`` (its old key lost all its records to this key),
``split`` (a new key took records from an old key that lives on), ``moved`` (records moved between two keys that
both live on), plus ``created`` for a new key made only of new records and ``retired`` for an old key whose records
all left the lake. Keys are never reused.

A new key is ``P`` + 20 hex characters of SHA-256 over the cluster's founding record (its smallest record key, a
keyed token already), so a rebuild on the same data reproduces the same keys. Writes: the events are appended first,
then the index is replaced in one Delta commit: a crash between the two leaves the old index and events that a
rerun will record again, never a changed index without its events.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import polars as pl

from linkage.cluster import LINK_PROBABILITY, cluster_records
from linkage.predict import blocking_candidates, score_all, score_new
from linkage.records import RECORD_KEY, SOURCE_FEED
from linkage.train import with_uid

if TYPE_CHECKING:
    from linkage.engine import EngineSettings
    from linkage.train import LinkageModel
    from storage import Store

log = logging.getLogger(__name__)

PERSON_INDEX_TABLE = "linkage/person_index"
KEY_EVENTS_TABLE = "linkage/key_events"
KEY_EVENTS_SCHEMA: dict[str, pl.DataType] = {
    "event": pl.String(),
    "person_key": pl.String(),
    "related_person_key": pl.String(),
    "records": pl.Int64(),
    "model_version": pl.String(),
    "mode": pl.String(),
    "run_id": pl.String(),
    "at": pl.Datetime("us", "UTC"),
}
"""One row per key change. ``related_person_key``: for ``merged`` the retired key merged into ``person_key``;
for ``split``/``moved`` the key the records came from."""
PERSON_KEY_PREFIX = "P"
PERSON_KEY_HEX = 20


class KeyEvent(StrEnum):
    CREATED = "created"
    MERGED = "merged"
    SPLIT = "split"
    MOVED = "moved"
    RETIRED = "retired"


class LinkMode(StrEnum):
    INITIAL = "initial"
    INCREMENTAL = "incremental"
    FULL_RELINK = "full_relink"


def person_index_schema() -> dict[str, pl.DataType]:
    """The index's schema, owned by ``ingestors.lake_init`` (dbt reads the table as a source)."""
    from ingestors.lake_init import PERSON_INDEX_SCHEMA

    return dict(PERSON_INDEX_SCHEMA)


@dataclass(frozen=True)
class IndexUpdate:
    """What a linkage run did. Counts only (safe for logs and Dagster metadata)."""

    mode: LinkMode
    model_version: str
    records: int
    new_records: int
    removed_records: int
    people: int
    edges_scored: int
    links_refused: int
    events: pl.DataFrame
    index: pl.DataFrame
    seconds: dict[str, float] = field(default_factory=dict)

    def event_counts(self) -> dict[str, int]:
        counts = {e.value: 0 for e in KeyEvent}
        if self.events.height:
            counts |= dict(self.events.group_by("event").len().iter_rows())
        return counts

    def largest_cluster(self) -> int:
        return int(self.index.get_column("cluster_size").max() or 0) if self.index.height else 0

    def summary(self) -> dict[str, Any]:
        return {
            "mode": self.mode.value,
            "model_version": self.model_version,
            "records": self.records,
            "new_records": self.new_records,
            "removed_records": self.removed_records,
            "people": self.people,
            "largest_cluster": self.largest_cluster(),
            "edges_scored": self.edges_scored,
            "links_refused_by_identifier_conflict": self.links_refused,
            "key_events": self.event_counts(),
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
        }


def new_person_key(founding_record: str, used: set[str]) -> str:
    """A key derived from the founding record, never one in ``used`` (which it is added to)."""
    counter = 0
    while True:
        message = f"vrlake-person|{founding_record}|{counter}".encode()
        key = PERSON_KEY_PREFIX + hashlib.sha256(message).hexdigest()[:PERSON_KEY_HEX]
        if key not in used:
            used.add(key)
            return key
        counter += 1


def assign_person_keys(
    clusters: pl.DataFrame, previous: pl.DataFrame, used_keys: set[str]
) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """Give each cluster a person key, keeping old keys where clusters overlap them (see module docstring).

    ``clusters``: ``source_feed``, ``record_key``, ``cluster``. ``previous``: ``source_feed``, ``record_key``,
    ``person_key`` (the old index; may be empty). ``used_keys``: every key ever issued (extended in place).
    Returns ``clusters`` with ``person_key`` and the key events (``event``, ``person_key``,
    ``related_person_key``, ``records``). Deterministic.
    """
    joined = clusters.join(
        previous.select(SOURCE_FEED, RECORD_KEY, pl.col("person_key").alias("old_key")),
        on=[SOURCE_FEED, RECORD_KEY],
        how="left",
    )
    overlap = (
        joined.drop_nulls("old_key")
        .group_by("cluster", "old_key")
        .len()
        .sort(["len", "old_key", "cluster"], descending=[True, False, False])
    )
    assigned: dict[int, str] = {}
    taken: set[str] = set()
    for cluster, old_key, _ in overlap.iter_rows():
        if cluster not in assigned and old_key not in taken:
            assigned[cluster] = old_key
            taken.add(old_key)
    founders = (
        joined.group_by("cluster")
        .agg(pl.concat_str([SOURCE_FEED, RECORD_KEY], separator="|").min().alias("founder"), pl.len())
        .sort("founder")
    )
    events: list[dict[str, Any]] = []
    old_records = set(overlap.get_column("cluster").to_list())
    for cluster, founder, size in founders.iter_rows():
        if cluster in assigned:
            continue
        assigned[cluster] = new_person_key(founder, used_keys)
        if cluster not in old_records:
            events.append(_event(KeyEvent.CREATED, assigned[cluster], None, size))
    # Records whose key changed, one event per (new key, old key) pair.
    changes = (
        overlap.with_columns(
            pl.col("cluster").replace_strict(assigned, return_dtype=pl.String).alias("new_key")
        )
        .filter(pl.col("new_key") != pl.col("old_key"))
        .group_by("new_key", "old_key")
        .agg(pl.col("len").sum())
        .sort("new_key", "old_key")
    )
    new_keys = set(assigned.values()) - set(previous.get_column("person_key").to_list())
    for new_key, old_key, records in changes.iter_rows():
        if old_key not in taken:
            kind = KeyEvent.MERGED
        elif new_key in new_keys:
            kind = KeyEvent.SPLIT
        else:
            kind = KeyEvent.MOVED
        events.append(_event(kind, new_key, old_key, records))
    still_present = set(overlap.get_column("old_key").to_list())
    for old_key in sorted(set(previous.get_column("person_key").to_list()) - still_present):
        events.append(_event(KeyEvent.RETIRED, old_key, None, 0))
    keyed = clusters.with_columns(
        pl.col("cluster").replace_strict(assigned, return_dtype=pl.String).alias("person_key")
    )
    return keyed, events


def _event(kind: KeyEvent, key: str, related: str | None, records: int) -> dict[str, Any]:
    return {"event": kind.value, "person_key": key, "related_person_key": related, "records": int(records)}


def read_index(store: Store) -> pl.DataFrame:
    """The person index with linkage names (``record_key`` for ``_record_key``); empty when never built."""
    from ingestors.lake import read_table

    return read_table(store, PERSON_INDEX_TABLE, person_index_schema()).rename({"_record_key": RECORD_KEY})


def read_key_events(store: Store) -> pl.DataFrame:
    from ingestors.lake import read_table

    return read_table(store, KEY_EVENTS_TABLE, KEY_EVENTS_SCHEMA)


def link_records(
    records: pl.DataFrame,
    model: LinkageModel,
    previous: pl.DataFrame,
    *,
    used_keys: set[str] | None = None,
    full_relink: bool = False,
    engine: EngineSettings | None = None,
    now: dt.datetime | None = None,
    run_id: str | None = None,
) -> IndexUpdate:
    """Link ``records`` (``RECORD_SCHEMA``) given the ``previous`` index (``read_index``); pure (writes nothing).

    Guarantees: every record gets exactly one key; an existing person keeps their key unless ``full_relink`` or a
    merge says otherwise, and every such change is in the returned events; no new link puts two different NHS
    numbers or PNC IDs, or two school-census records, in one cluster (see ``cluster``).
    """
    now = now or dt.datetime.now(dt.UTC)
    used = set(used_keys or set()) | set(previous.get_column("person_key").to_list())
    seconds: dict[str, float] = {}
    keys = [SOURCE_FEED, RECORD_KEY]
    known = previous.select(*keys, "person_key", "match_probability", "model_version", "linked_at")
    kept = records.join(known.select(keys), on=keys, how="semi")
    new = records.join(known.select(keys), on=keys, how="anti")
    removed_rows = known.join(records.select(keys), on=keys, how="anti")
    removed, removed_keys = removed_rows.height, removed_rows.get_column("person_key").unique()
    if previous.height == 0 or full_relink:
        mode = LinkMode.FULL_RELINK if previous.height else LinkMode.INITIAL
        ordered = with_uid(records)
        started = time.perf_counter()
        edges = score_all(ordered, model, engine=engine)
        seconds["score"] = time.perf_counter() - started
        started = time.perf_counter()
        clustering = cluster_records(ordered, edges, threshold=model.threshold)
        labelled = ordered.select("uid", *keys).join(clustering.labels, on="uid")
        keyed, events = assign_person_keys(
            labelled.select(*keys, "cluster"), previous.select(*keys, "person_key"), used
        )
        seconds["cluster"] = time.perf_counter() - started
        index = _index_rows(keyed.join(labelled.select(*keys, LINK_PROBABILITY), on=keys), known, model, now, mode)
        refused = clustering.refused_edges
    else:
        mode = LinkMode.INCREMENTAL
        ordered = with_uid(pl.concat([kept, new]))
        existing, arriving = ordered.head(kept.height), ordered.tail(new.height)
        started = time.perf_counter()
        candidates = blocking_candidates(existing, arriving, model)
        edges = score_new(candidates, arriving, model, engine=engine, frequency_records=ordered)
        seconds["score"] = time.perf_counter() - started
        started = time.perf_counter()
        index, events, refused = _relink_touched(ordered, edges, known, removed_keys, model, used, now)
        seconds["cluster"] = time.perf_counter() - started
    event_frame = pl.DataFrame(
        [
            {**e, "model_version": model.version, "mode": mode.value, "run_id": run_id, "at": now}
            for e in events
        ],
        schema=KEY_EVENTS_SCHEMA,
    )
    return IndexUpdate(
        mode=mode,
        model_version=model.version,
        records=records.height,
        new_records=new.height,
        removed_records=removed,
        people=index.get_column("person_key").n_unique() if index.height else 0,
        edges_scored=edges.height,
        links_refused=refused,
        events=event_frame,
        index=index,
        seconds=seconds,
    )


def _relink_touched(
    ordered: pl.DataFrame,
    edges: pl.DataFrame,
    known: pl.DataFrame,
    removed_keys: pl.Series,
    model: LinkageModel,
    used: set[str],
    now: dt.datetime,
) -> tuple[pl.DataFrame, list[dict[str, Any]], int]:
    """An incremental update's index rows, key events and refused links, clustering only the people it touches.

    ``ordered``: the kept records then the new ones, ``uid`` in row order; ``edges`` involve a new record each.
    A person is touched when a new record links to one of their records at or above the threshold, or when some
    of their records left the lake. Clustering is greedy per connected component (of the starting groups and the
    accepted edges), and key reconciliation pairs clusters with old keys inside a component, so clustering the
    touched people and the new records alone, numbered in the same relative order, gives exactly the clusters,
    keys and events of clustering everyone; every other person keeps their rows as they are.
    """
    keys = [SOURCE_FEED, RECORD_KEY]
    groups = (
        ordered.select(keys)
        .join(known.select(*keys, "person_key"), on=keys, how="left", maintain_order="left")
        .get_column("person_key")
    )
    accepted = edges.filter(pl.col("match_probability") >= model.threshold)
    endpoints = pl.concat([accepted.get_column("uid_l"), accepted.get_column("uid_r")]).unique()
    linked = groups.gather(endpoints)  # null for new records
    touched = pl.concat([linked.drop_nulls(), removed_keys.cast(pl.String)]).unique()
    involved = groups.is_null() | groups.is_in(touched.implode())
    subset = ordered.filter(involved)
    schema = person_index_schema()
    kept_as_is = (
        known.filter(~pl.col("person_key").is_in(touched.implode()))
        .with_columns(pl.len().over("person_key").cast(pl.Int64).alias("cluster_size"))
        .rename({RECORD_KEY: "_record_key"})
        .select([pl.col(c).cast(t) for c, t in schema.items()])
    )
    if subset.height == 0:  # no new record: only people whose records all left the lake change
        retired = [_event(KeyEvent.RETIRED, key, None, 0) for key in sorted(touched.to_list())]
        return kept_as_is.sort("source_feed", "_record_key"), retired, 0
    renumber = pl.DataFrame({"old": subset.get_column("uid"), "new": pl.int_range(subset.height, eager=True)})
    subset_edges = (
        edges.join(renumber.rename({"old": "uid_l", "new": "l"}), on="uid_l")
        .join(renumber.rename({"old": "uid_r", "new": "r"}), on="uid_r")
        .select(pl.col("l").cast(pl.Int64).alias("uid_l"), pl.col("r").cast(pl.Int64).alias("uid_r"),
                "match_probability")
    )
    subset = subset.with_columns(pl.int_range(subset.height, dtype=pl.Int64).alias("uid"))
    clustering = cluster_records(subset, subset_edges, threshold=model.threshold, groups=groups.filter(involved))
    labelled = subset.select("uid", *keys).join(clustering.labels, on="uid")
    touched_known = known.filter(pl.col("person_key").is_in(touched.implode()))
    keyed, events = assign_person_keys(
        labelled.select(*keys, "cluster"), touched_known.select(*keys, "person_key"), used
    )
    relinked = _index_rows(
        keyed.join(labelled.select(*keys, LINK_PROBABILITY), on=keys), touched_known, model, now,
        LinkMode.INCREMENTAL,
    )
    index = pl.concat([kept_as_is, relinked]).sort("source_feed", "_record_key")
    return index, events, clustering.refused_edges


def _index_rows(
    keyed: pl.DataFrame, known: pl.DataFrame, model: LinkageModel, now: dt.datetime, mode: LinkMode
) -> pl.DataFrame:
    """The index rows: unchanged rows keep their match probability, model version and link time."""
    keys = [SOURCE_FEED, RECORD_KEY]
    joined = keyed.join(
        known.rename({"person_key": "old_key", "match_probability": "old_probability",
                      "model_version": "old_version", "linked_at": "old_linked_at"}),
        on=keys,
        how="left",
    )
    unchanged = (pl.col("old_key") == pl.col("person_key")).fill_null(False)
    if mode is LinkMode.FULL_RELINK:
        unchanged = pl.lit(False)
    schema = person_index_schema()
    return (
        joined.with_columns(
            pl.when(unchanged).then(pl.col("old_probability")).otherwise(pl.col(LINK_PROBABILITY))
            .alias("match_probability"),
            pl.when(unchanged).then(pl.col("old_version")).otherwise(pl.lit(model.version)).alias("model_version"),
            pl.when(unchanged).then(pl.col("old_linked_at")).otherwise(pl.lit(now)).alias("linked_at"),
            pl.len().over("person_key").cast(pl.Int64).alias("cluster_size"),
        )
        .rename({RECORD_KEY: "_record_key"})
        .select([pl.col(c).cast(t) for c, t in schema.items()])
        .sort("source_feed", "_record_key")
    )


def write_update(store: Store, update: IndexUpdate) -> None:
    """Append the update's key events, then replace the person index in one Delta commit (see module doc)."""
    from deltalake import write_deltalake

    from ingestors.lake import append_rows, ensure_table

    ensure_table(store, KEY_EVENTS_TABLE, KEY_EVENTS_SCHEMA)
    if update.events.height:
        append_rows(store, KEY_EVENTS_TABLE, update.events)
    write_deltalake(
        store.delta_uri(PERSON_INDEX_TABLE),
        update.index.to_arrow(),
        mode="overwrite",
        storage_options=store.delta_storage_options() or None,
    )


def used_person_keys(store: Store) -> set[str]:
    """Every key the index has ever issued (current index and every recorded event): keys are never reused."""
    events = read_key_events(store)
    index = read_index(store)
    used = set(index.get_column("person_key").to_list())
    used |= set(events.get_column("person_key").drop_nulls().to_list())
    used |= set(events.get_column("related_person_key").drop_nulls().to_list())
    return used


def update_person_index(
    store: Store,
    records: pl.DataFrame,
    model: LinkageModel,
    *,
    full_relink: bool = False,
    engine: EngineSettings | None = None,
    run_id: str | None = None,
) -> IndexUpdate:
    """Link ``records`` against the lake's person index with ``model`` and write the result (index + events)."""
    previous = read_index(store)
    update = link_records(
        records,
        model,
        previous,
        used_keys=used_person_keys(store),
        full_relink=full_relink,
        engine=engine,
        run_id=run_id,
    )
    started = time.perf_counter()
    write_update(store, update)
    update.seconds["write"] = time.perf_counter() - started
    log.info("person index %s: %s", update.mode.value, update.summary())
    return update
