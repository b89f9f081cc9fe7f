"""Pairwise and cluster quality measures against a known truth, computed by hand on a small example."""

from __future__ import annotations

import polars as pl
import pytest

from linkage.quality import evaluate, probability_distribution


def frame(rows: dict[str, str], column: str) -> pl.DataFrame:
    return pl.DataFrame({"source_feed": ["f"] * len(rows), "record_key": list(rows), column: list(rows.values())})


def test_pairwise_and_cluster_measures() -> None:
    # Truth: p1 = {a, b, c}, p2 = {d, e}, p3 = {f}. Prediction: {a, b}, {c, d, e}, {f}.
    truth = frame({"a": "p1", "b": "p1", "c": "p1", "d": "p2", "e": "p2", "f": "p3"}, "person_id")
    keys = frame({"a": "K1", "b": "K1", "c": "K2", "d": "K2", "e": "K2", "f": "K3"}, "person_key")
    quality = evaluate(keys, truth)
    # true pairs: 3 + 1 = 4; predicted pairs: 1 + 3 = 4; correct: ab, de = 2.
    assert (quality.true_pairs, quality.predicted_pairs, quality.true_positive_pairs) == (4, 4, 2)
    assert quality.precision == pytest.approx(0.5) and quality.recall == pytest.approx(0.5)
    assert quality.f1 == pytest.approx(0.5)
    assert quality.false_merge_clusters == 1 and quality.people_in_false_merges == 2
    assert quality.split_people == 1 and quality.exact_clusters == 1  # only p3 is clustered exactly
    assert quality.largest_cluster == 3 and quality.singletons == 1


def test_perfect_linkage_scores_one() -> None:
    truth = frame({"a": "p1", "b": "p1", "c": "p2"}, "person_id")
    quality = evaluate(frame({"a": "K", "b": "K", "c": "L"}, "person_key"), truth)
    assert quality.f1 == quality.precision == quality.recall == 1.0
    assert quality.exact_cluster_share == 1.0


def test_probability_distribution_bins() -> None:
    bins = probability_distribution(pl.Series([None, 0.3, 0.92, 0.97, 0.995, 0.9999]))
    assert bins == {"none": 1, "<0.5": 1, "0.5-0.9": 0, "0.9-0.95": 1, "0.95-0.99": 1, "0.99-0.999": 1, ">=0.999": 1}
