"""Incremental updates re-cluster only the people new records touch, with exactly the result of re-clustering all.

``full_recluster`` is the update as it was before it was narrowed (every record clustered from the existing people
as starting groups, every key reconciled): the narrowed update must give identical rows and events.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import polars as pl
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from linkage.cluster import LINK_PROBABILITY, cluster_records
from linkage.index import LinkMode, _index_rows, _relink_touched, assign_person_keys
from linkage.records import RECORD_KEY, SOURCE_FEED

KEYS = [SOURCE_FEED, RECORD_KEY]
THEN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
MODEL = SimpleNamespace(threshold=0.9, version="v2")


def full_recluster(
    ordered: pl.DataFrame, edges: pl.DataFrame, known: pl.DataFrame, used: set[str], model: Any = MODEL
) -> tuple[pl.DataFrame, list[dict[str, Any]], int]:
    """The incremental update before it was narrowed: everyone clustered, every key reconciled."""
    groups = ordered.select(KEYS).join(known.select(*KEYS, "person_key"), on=KEYS, how="left",
                                       maintain_order="left").get_column("person_key")
    clustering = cluster_records(ordered, edges, threshold=model.threshold, groups=groups)
    labelled = ordered.select("uid", *KEYS).join(clustering.labels, on="uid")
    keyed, events = assign_person_keys(labelled.select(*KEYS, "cluster"), known.select(*KEYS, "person_key"), used)
    index = _index_rows(keyed.join(labelled.select(*KEYS, LINK_PROBABILITY), on=KEYS), known, model, NOW,
                        LinkMode.INCREMENTAL)
    return index, events, clustering.refused_edges


def lake(people: list[list[str | None]], new: list[str | None], removed: set[int] = frozenset()) -> tuple[
    pl.DataFrame, pl.DataFrame
]:
    """``ordered`` (kept records, then new ones; ``nhs_number_token`` per record) and the previous index.

    ``people``: per existing person, their records' NHS numbers; records in ``removed`` (positions in the flat
    list) are in the index but have left the lake."""
    rows, index = [], []
    position = 0
    for person, records in enumerate(people):
        for nhs in records:
            key = f"r{position:03d}"
            index.append({SOURCE_FEED: "f", RECORD_KEY: key, "person_key": f"K{person:03d}",
                          "match_probability": 0.95, "model_version": "v1", "linked_at": THEN})
            if position not in removed:
                rows.append({SOURCE_FEED: "f", RECORD_KEY: key, "nhs_number_token": nhs})
            position += 1
    for i, nhs in enumerate(new):
        rows.append({SOURCE_FEED: "g", RECORD_KEY: f"n{i:03d}", "nhs_number_token": nhs})
    ordered = pl.DataFrame(rows, schema={SOURCE_FEED: pl.String, RECORD_KEY: pl.String,
                                         "nhs_number_token": pl.String}).with_row_index("uid")
    ordered = ordered.with_columns(pl.col("uid").cast(pl.Int64))
    known = pl.DataFrame(index, schema={SOURCE_FEED: pl.String, RECORD_KEY: pl.String, "person_key": pl.String,
                                        "match_probability": pl.Float64, "model_version": pl.String,
                                        "linked_at": pl.Datetime("us", "UTC")})
    return ordered, known


def edge_frame(rows: list[tuple[int, int, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"uid_l": pl.Int64, "uid_r": pl.Int64, "match_probability": pl.Float64},
                        orient="row")


def removed_keys(ordered: pl.DataFrame, known: pl.DataFrame) -> pl.Series:
    return known.join(ordered.select(KEYS), on=KEYS, how="anti").get_column("person_key").unique()


def relink(ordered: pl.DataFrame, edges: pl.DataFrame, known: pl.DataFrame, used: set[str]) -> Any:
    return _relink_touched(ordered, edges, known, removed_keys(ordered, known), MODEL, used, NOW)


def test_a_new_record_bridging_two_people_merges_them_and_the_larger_keeps_its_key() -> None:
    ordered, known = lake([[None, None], [None], [None]], new=[None])
    # The new record (uid 4) matches person K000 (uid 0) and person K001 (uid 2); K002 is not linked.
    index, events, refused = relink(ordered, edge_frame([(0, 4, 0.99), (2, 4, 0.97)]), known, {"K000", "K001"})
    keys = dict(index.select("_record_key", "person_key").iter_rows())
    assert keys["r000"] == keys["r001"] == keys["r002"] == keys["n000"] == "K000"
    assert [(e["event"], e["person_key"], e["related_person_key"], e["records"]) for e in events] == [
        ("merged", "K000", "K001", 1)
    ]
    assert refused == 0
    untouched = index.filter(pl.col("person_key") == "K002").row(0, named=True)
    assert (untouched["match_probability"], untouched["model_version"], untouched["linked_at"]) == (0.95, "v1", THEN)


def test_a_bridge_between_two_nhs_numbers_is_refused_and_nobody_else_is_rewritten() -> None:
    ordered, known = lake([["A"], ["B"], [None, None]], new=[None])
    index, events, refused = relink(ordered, edge_frame([(0, 4, 0.99), (1, 4, 0.98)]), known, set())
    keys = dict(index.select("_record_key", "person_key").iter_rows())
    assert keys["n000"] == "K000" and keys["r001"] == "K001" and refused == 1
    assert events == []
    before = known.filter(pl.col("person_key") == "K002").sort(RECORD_KEY)
    after = index.filter(pl.col("person_key") == "K002").sort("_record_key")
    assert after.select("person_key", "match_probability", "model_version", "linked_at", "cluster_size").to_dicts() == [
        {**row, "cluster_size": 2} for row in before.select("person_key", "match_probability", "model_version",
                                                            "linked_at").to_dicts()
    ]


def test_a_person_whose_records_all_left_the_lake_is_retired() -> None:
    ordered, known = lake([[None], [None, None]], new=[], removed={0, 1})
    index, events, _ = relink(ordered, edge_frame([]), known, set())
    assert [(e["event"], e["person_key"]) for e in events] == [("retired", "K000")]
    assert index.select("_record_key", "person_key", "cluster_size").rows() == [("r002", "K001", 1)]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    nhs = st.sampled_from([None, None, None, "A", "B", "C"])
    people = draw(st.lists(st.lists(nhs, min_size=1, max_size=4), min_size=1, max_size=8))
    new = draw(st.lists(nhs, min_size=0, max_size=6))
    total = sum(len(p) for p in people)
    removed = draw(st.sets(st.integers(0, max(total - 1, 0)), max_size=3)) if total else set()
    ordered, known = lake(people, new, removed)
    n, first_new = ordered.height, ordered.height - len(new)
    pairs = []
    if len(new):
        for _ in range(draw(st.integers(0, 12))):
            right = draw(st.integers(first_new, n - 1))
            left = draw(st.integers(0, n - 1).filter(lambda u, r=right: u != r))
            # Few distinct probabilities, so ties (broken by uid) are common.
            pairs.append((min(left, right), max(left, right), draw(st.sampled_from([0.5, 0.91, 0.95, 0.99]))))
    edges = edge_frame(pairs).unique(["uid_l", "uid_r"], keep="first", maintain_order=True)
    return ordered, edges, known


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_relinking_the_touched_people_equals_reclustering_everyone(
    scenario: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    ordered, edges, known = scenario
    assume(ordered.height > 0)  # an incremental update always has records to link
    used = set(known.get_column("person_key").to_list())
    expected_index, expected_events, expected_refused = full_recluster(ordered, edges, known, set(used))
    index, events, refused = relink(ordered, edges, known, set(used))
    assert index.equals(expected_index)
    assert events == expected_events
    assert refused == expected_refused
