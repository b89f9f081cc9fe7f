"""Linkage quality against a known truth (the synthetic generator's truth file).

Measures, over the records the truth covers:

* **pairwise** precision, recall and F1: a pair of records is predicted linked when both have the same
  ``person_key`` and truly linked when both have the same ``person_id``;
* **clusters**: how many people and clusters, the share of people whose records form exactly one cluster and
  nothing else, **false merges** (clusters holding more than one true person: worse than missed links for
  safeguarding), split people (one person in several clusters), the largest cluster;
* the **match-probability distribution** of the links that made the clusters.

The truth joins bronze on ``(_source_file, _row_number)``, which ``records.RECORD_SCHEMA`` keeps as
``source_file``/``row_number``. Everything reported is counts and rates: no identifier, token or person id.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from linkage.records import RECORD_KEY, ROW_NUMBER, SOURCE_FEED, SOURCE_FILE

PROBABILITY_BINS: tuple[float, ...] = (0.5, 0.9, 0.95, 0.99, 0.999)


@dataclass(frozen=True)
class LinkageQuality:
    """Quality of one set of person keys against the truth. All fields are counts or rates."""

    records: int
    people: int
    clusters: int
    true_pairs: int
    predicted_pairs: int
    true_positive_pairs: int
    precision: float
    recall: float
    f1: float
    exact_clusters: int
    exact_cluster_share: float
    false_merge_clusters: int
    people_in_false_merges: int
    split_people: int
    largest_cluster: int
    largest_true_person: int
    singletons: int
    match_probability_distribution: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"F1 {self.f1:.4f} (precision {self.precision:.4f}, recall {self.recall:.4f}) over {self.records:,} "
            f"records of {self.people:,} people in {self.clusters:,} clusters; {self.false_merge_clusters} false "
            f"merges, {self.split_people} split people, largest cluster {self.largest_cluster}"
        )


def read_truth(path: Path) -> pl.DataFrame:
    """The synthetic truth's person rows: ``feed``, ``file``, ``row_number``, ``person_id``."""
    truth = pl.read_csv(
        path,
        columns=["feed", "file", "row_number", "person_id"],
        schema_overrides={"feed": pl.String, "file": pl.String, "row_number": pl.Int64, "person_id": pl.String},
    )
    return truth.drop_nulls("person_id")


def truth_for_records(records: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """``source_feed``, ``record_key``, ``person_id`` for the records the truth covers (joined on lineage)."""
    return records.select(SOURCE_FEED, RECORD_KEY, SOURCE_FILE, ROW_NUMBER).join(
        truth.rename({"feed": SOURCE_FEED, "file": SOURCE_FILE, "row_number": ROW_NUMBER}),
        on=[SOURCE_FEED, SOURCE_FILE, ROW_NUMBER],
        how="inner",
    ).select(SOURCE_FEED, RECORD_KEY, "person_id")


def _pairs(counts: pl.Series) -> int:
    return int((counts.cast(pl.Int64) * (counts.cast(pl.Int64) - 1) // 2).sum())


def probability_distribution(probabilities: pl.Series, bins: tuple[float, ...] = PROBABILITY_BINS) -> dict[str, int]:
    """Counts of probabilities per bin (``"0.95-0.99"``, ``">=0.999"``, ``"<0.5"``, ``"none"``)."""
    result: dict[str, int] = {"none": int(probabilities.null_count())}
    values = probabilities.drop_nulls()
    edges = [0.0, *bins]
    for low, high in zip(edges, [*bins[0:], None], strict=False):
        if high is None:
            label, count = f">={low}", int((values >= low).sum())
        else:
            label = f"<{high}" if low == 0.0 else f"{low}-{high}"
            count = int(((values >= low) & (values < high)).sum())
        result[label] = count
    return result


def evaluate(
    assignments: pl.DataFrame,
    truth: pl.DataFrame,
    *,
    probabilities: pl.Series | None = None,
) -> LinkageQuality:
    """Quality of ``assignments`` (``source_feed``, ``record_key``, ``person_key``) against ``truth``
    (``source_feed``, ``record_key``, ``person_id``), over the records present in both.

    ``probabilities``: the match probabilities to summarise (e.g. the index's ``match_probability``); defaults to
    ``assignments["match_probability"]`` when that column exists.
    """
    joined = assignments.join(truth, on=[SOURCE_FEED, RECORD_KEY], how="inner")
    by_key = joined.group_by("person_key").agg(pl.len().alias("n"), pl.col("person_id").n_unique().alias("people"))
    by_person = joined.group_by("person_id").agg(pl.len().alias("n"), pl.col("person_key").n_unique().alias("keys"))
    by_both = joined.group_by("person_key", "person_id").len()
    true_pairs = _pairs(by_person.get_column("n"))
    predicted_pairs = _pairs(by_key.get_column("n"))
    true_positive = _pairs(by_both.get_column("len"))
    precision = true_positive / predicted_pairs if predicted_pairs else 1.0
    recall = true_positive / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    # A person is exactly clustered when all their records share one key and that key holds nobody else.
    pure_keys = by_key.filter(pl.col("people") == 1).select("person_key")
    exact = (
        joined.join(pure_keys, on="person_key", how="semi")
        .join(by_person.filter(pl.col("keys") == 1).select("person_id"), on="person_id", how="semi")
        .get_column("person_id")
        .n_unique()
    )
    merges = by_key.filter(pl.col("people") > 1)
    if probabilities is None and "match_probability" in assignments.columns:
        probabilities = joined.get_column("match_probability")
    people = by_person.height
    return LinkageQuality(
        records=joined.height,
        people=people,
        clusters=by_key.height,
        true_pairs=true_pairs,
        predicted_pairs=predicted_pairs,
        true_positive_pairs=true_positive,
        precision=precision,
        recall=recall,
        f1=f1,
        exact_clusters=exact,
        exact_cluster_share=exact / people if people else 1.0,
        false_merge_clusters=merges.height,
        people_in_false_merges=int(merges.get_column("people").sum()) if merges.height else 0,
        split_people=by_person.filter(pl.col("keys") > 1).height,
        largest_cluster=int(by_key.get_column("n").max() or 0),
        largest_true_person=int(by_person.get_column("n").max() or 0),
        singletons=by_key.filter(pl.col("n") == 1).height,
        match_probability_distribution=probability_distribution(probabilities)
        if probabilities is not None
        else {},
    )
