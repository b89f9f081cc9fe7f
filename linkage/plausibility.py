"""Plausibility of the person index without any truth: the checks a linkage must pass before anyone uses it.

A cluster is implausible when it is larger than any one person's records could reasonably be (a runaway chain
of links), when it holds two different values of a national identifier issued once per person (two NHS numbers
or two PNC IDs), or two records of a register (two school-census pupils): each means two people merged. Either is a false merge until proven otherwise, and false merges are the
costly error for safeguarding. The report holds counts and pseudonymous person keys only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from linkage.model import HARD_IDENTIFIERS, REGISTER_RECORD
from linkage.records import RECORD_KEY, SOURCE_FEED

if TYPE_CHECKING:
    from storage import Store

DEFAULT_MAX_CLUSTER_SIZE = 250
"""A person with more records than this is implausible: the synthetic area's most recorded person has about 50
records at 20,000 residents; real prolific offenders have a few hundred police contacts in total, not per year."""
EXAMPLES_SHOWN = 10


@dataclass(frozen=True)
class PlausibilityReport:
    """``passed`` when no cluster is too large and none holds two values of a hard identifier."""

    people: int
    records: int
    largest_cluster: int
    max_cluster_size: int
    oversized_clusters: int
    conflicting_clusters: dict[str, int]
    unindexed_records: int
    examples: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.oversized_clusters == 0 and not any(self.conflicting_clusters.values())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"passed": self.passed}


def check_index(index: pl.DataFrame, records: pl.DataFrame, *, max_cluster_size: int = DEFAULT_MAX_CLUSTER_SIZE) -> PlausibilityReport:
    """Check ``index`` (``index.read_index``: ``source_feed``, ``record_key``, ``person_key``) against the
    records' hard identifiers (``records`` with ``source_feed``, ``record_key`` and ``HARD_IDENTIFIERS``)."""
    from linkage.cluster import register_records

    keys = [SOURCE_FEED, RECORD_KEY]
    records = records.with_columns(register_records(records))
    identifiers = [c for c in (*HARD_IDENTIFIERS, REGISTER_RECORD) if c in records.columns]
    joined = index.select(*keys, "person_key").join(records.select(*keys, *identifiers), on=keys, how="left")
    sizes = joined.group_by("person_key").agg(
        pl.len().alias("size"), *[pl.col(c).drop_nulls().n_unique().alias(c) for c in identifiers]
    )
    oversized = sizes.filter(pl.col("size") > max_cluster_size)
    conflicts = {c: sizes.filter(pl.col(c) > 1).height for c in identifiers}
    bad = sizes.filter((pl.col("size") > max_cluster_size) | pl.any_horizontal([pl.col(c) > 1 for c in identifiers]))
    return PlausibilityReport(
        people=sizes.height,
        records=index.height,
        largest_cluster=int(sizes.get_column("size").max() or 0),
        max_cluster_size=max_cluster_size,
        oversized_clusters=oversized.height,
        conflicting_clusters=conflicts,
        unindexed_records=records.join(index.select(keys), on=keys, how="anti").height,
        examples=sorted(bad.get_column("person_key").to_list())[:EXAMPLES_SHOWN],
    )


def check_lake(store: Store, *, max_cluster_size: int = DEFAULT_MAX_CLUSTER_SIZE) -> PlausibilityReport:
    """``check_index`` on the lake's person index and bronze records (reads only the identifier tokens)."""
    from linkage.index import read_index
    from linkage.records import gather_records

    records = gather_records(store, columns=HARD_IDENTIFIERS)
    return check_index(read_index(store), records, max_cluster_size=max_cluster_size)
