"""Clustering scored pairs into people, refusing any link that would put two national identifiers in one person.

Plain connected components (Splink's default clustering) chains: a record without an NHS number that matches two
people with different NHS numbers joins them both, and one false link can merge two large clusters. For
safeguarding, a false merge is worse than a missed link, so clusters are built greedily instead: edges at or above
the threshold are taken in descending match probability (ties by ids, so the result is deterministic), and an edge
is refused when the merged cluster would hold two different values of a hard identifier
(``model.HARD_IDENTIFIERS``: NHS number, PNC ID) or two records of a register feed (``model.REGISTER_FEEDS``: two
school-census records are two pupils). Each record then sits with the records it matches best.

Existing clusters (the current person index) can be passed as starting groups: records already together stay
together; new edges may add records to them or join two of them (the caller records that as a merge).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from linkage.model import HARD_IDENTIFIERS, REGISTER_FEEDS, REGISTER_RECORD, UNIQUE_ID
from linkage.records import RECORD_KEY, SOURCE_FEED

CLUSTER = "cluster"
LINK_PROBABILITY = "link_probability"


@dataclass(frozen=True)
class Clustering:
    """``labels``: ``uid``, ``cluster`` (the smallest uid in the cluster), ``link_probability`` (the highest
    probability among the record's accepted links; null for a record linked to nothing).

    ``refused_edges``: edges at or above the threshold refused because of a hard-identifier conflict."""

    labels: pl.DataFrame
    accepted_edges: int
    refused_edges: int


class _UnionFind:
    def __init__(self, size: int, identifiers: Mapping[str, Sequence[str | None]]) -> None:
        self.parent = np.arange(size, dtype=np.int64)
        self.size = np.ones(size, dtype=np.int64)
        # Per hard identifier, the set of values each root's cluster holds (roots without values are absent).
        self.values: dict[str, dict[int, set[str]]] = {
            kind: {i: {v} for i, v in enumerate(column) if v is not None} for kind, column in identifiers.items()
        }

    def find(self, node: int) -> int:
        parent = self.parent
        root = node
        while parent[root] != root:
            root = int(parent[root])
        while parent[node] != root:  # path compression keeps later finds O(1)
            parent[node], node = root, int(parent[node])
        return root

    def conflicts(self, a: int, b: int) -> bool:
        for by_root in self.values.values():
            left, right = by_root.get(a), by_root.get(b)
            if left and right and not (left <= right or right <= left):
                return True
        return False

    def union(self, a: int, b: int) -> int:
        if self.size[a] < self.size[b]:
            a, b = b, a
        self.parent[b] = a
        self.size[a] += self.size[b]
        for by_root in self.values.values():
            moved = by_root.pop(b, None)
            if moved:
                by_root.setdefault(a, set()).update(moved)
        return a


def cluster_records(
    records: pl.DataFrame,
    edges: pl.DataFrame,
    *,
    threshold: float,
    groups: pl.Series | None = None,
    hard_identifiers: Sequence[str] = (*HARD_IDENTIFIERS, REGISTER_RECORD),
) -> Clustering:
    """Cluster ``records`` (``uid`` must be 0..n-1 in row order) using ``edges`` (``uid_l``, ``uid_r``,
    ``match_probability``) at or above ``threshold``.

    ``groups``, aligned with ``records``: records with the same non-null group start in one cluster (the existing
    person index). Guarantee: no produced cluster holds two different values of a hard identifier, or two register
    records, unless a starting group already did. The register constraint needs ``source_feed`` and
    ``record_key`` columns (or a ready ``register_record`` column).
    """
    n = records.height
    uids = records.get_column(UNIQUE_ID).to_numpy()
    if n and not np.array_equal(uids, np.arange(n)):
        raise ValueError("cluster_records needs uid = 0..n-1 in row order")
    identifiers = {c: records.get_column(c).to_list() for c in hard_identifiers if c in records.columns}
    derivable = {SOURCE_FEED, RECORD_KEY} <= set(records.columns)
    if REGISTER_RECORD in hard_identifiers and REGISTER_RECORD not in records.columns and derivable:
        identifiers[REGISTER_RECORD] = register_records(records).to_list()
    forest = _UnionFind(n, identifiers)
    if groups is not None:
        starts = (
            pl.DataFrame({"uid": np.arange(n), "group": groups})
            .drop_nulls("group")
            .group_by("group")
            .agg(pl.col("uid"))
        )
        for members in starts.get_column("uid").to_list():
            root = forest.find(members[0])
            for member in members[1:]:
                other = forest.find(member)
                if other != root:
                    root = forest.union(root, other)
    taken = edges.filter(pl.col("match_probability") >= threshold).sort(
        ["match_probability", "uid_l", "uid_r"], descending=[True, False, False]
    )
    accepted = refused = 0
    for left, right in zip(taken.get_column("uid_l").to_list(), taken.get_column("uid_r").to_list(), strict=True):
        a, b = forest.find(left), forest.find(right)
        if a == b:
            continue
        if forest.conflicts(a, b):
            refused += 1
            continue
        forest.union(a, b)
        accepted += 1
    roots = np.fromiter((forest.find(i) for i in range(n)), dtype=np.int64, count=n)
    labels = pl.DataFrame({UNIQUE_ID: np.arange(n, dtype=np.int64), "root": roots})
    labels = labels.with_columns(pl.col(UNIQUE_ID).min().over("root").alias(CLUSTER)).drop("root")
    return Clustering(labels=_with_link_probability(labels, taken), accepted_edges=accepted, refused_edges=refused)


def register_records(records: pl.DataFrame) -> pl.Series:
    """Per record, its record key when it comes from a register feed (``model.REGISTER_FEEDS``), else null."""
    return records.select(
        pl.when(pl.col(SOURCE_FEED).is_in(REGISTER_FEEDS)).then(pl.col(RECORD_KEY)).alias(REGISTER_RECORD)
    ).to_series()


def _with_link_probability(labels: pl.DataFrame, edges: pl.DataFrame) -> pl.DataFrame:
    """Each record's best accepted link: the highest-probability edge inside its final cluster."""
    cluster_of = labels.select(UNIQUE_ID, CLUSTER)
    inside = (
        edges.join(cluster_of.rename({UNIQUE_ID: "uid_l", CLUSTER: "cluster_l"}), on="uid_l")
        .join(cluster_of.rename({UNIQUE_ID: "uid_r", CLUSTER: "cluster_r"}), on="uid_r")
        .filter(pl.col("cluster_l") == pl.col("cluster_r"))
    )
    best = (
        pl.concat(
            [
                inside.select(pl.col("uid_l").alias(UNIQUE_ID), "match_probability"),
                inside.select(pl.col("uid_r").alias(UNIQUE_ID), "match_probability"),
            ]
        )
        .group_by(UNIQUE_ID)
        .agg(pl.col("match_probability").max().alias(LINK_PROBABILITY))
    )
    return labels.join(best, on=UNIQUE_ID, how="left").sort(UNIQUE_ID)
