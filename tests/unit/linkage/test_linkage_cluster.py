"""Greedy clustering that refuses links joining two national identifiers."""

from __future__ import annotations

import polars as pl

from linkage.cluster import cluster_records


def records(nhs: list[str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {"uid": list(range(len(nhs))), "nhs_number_token": nhs, "pnc_id_token": [None] * len(nhs)},
        schema={"uid": pl.Int64, "nhs_number_token": pl.String, "pnc_id_token": pl.String},
    )


def edges(rows: list[tuple[int, int, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"uid_l": pl.Int64, "uid_r": pl.Int64, "match_probability": pl.Float64},
                        orient="row")


def clusters(result: pl.DataFrame) -> list[int]:
    return result.get_column("cluster").to_list()


def test_a_record_without_nhs_number_cannot_bridge_two_nhs_numbers() -> None:
    # 1 has no NHS number and matches 0 (NHS A) and 2 (NHS B): it joins its best match only.
    result = cluster_records(records(["A", None, "B"]), edges([(0, 1, 0.999), (1, 2, 0.99)]), threshold=0.9)
    assert clusters(result.labels) == [0, 0, 2]
    assert result.refused_edges == 1 and result.accepted_edges == 1


def test_links_below_the_threshold_are_ignored_and_probabilities_are_the_best_accepted_link() -> None:
    result = cluster_records(records([None, None, None]), edges([(0, 1, 0.97), (1, 2, 0.5)]), threshold=0.9)
    assert clusters(result.labels) == [0, 0, 2]
    assert result.labels.get_column("link_probability").to_list() == [0.97, 0.97, None]


def test_same_identifier_joins_and_result_is_deterministic_in_edge_order() -> None:
    rows = [(0, 1, 0.95), (1, 2, 0.95), (2, 3, 0.99)]
    a = cluster_records(records(["A", None, "A", None]), edges(rows), threshold=0.9)
    b = cluster_records(records(["A", None, "A", None]), edges(list(reversed(rows))), threshold=0.9)
    assert clusters(a.labels) == clusters(b.labels) == [0, 0, 0, 0]


def test_starting_groups_stay_together_and_can_be_extended() -> None:
    groups = pl.Series(["k1", "k1", None, "k2"])
    result = cluster_records(records([None, None, None, None]), edges([(2, 3, 0.99)]), threshold=0.9, groups=groups)
    assert clusters(result.labels) == [0, 0, 2, 2]


def test_two_school_census_records_never_share_a_cluster() -> None:
    # Two census pupils (two register records) both match one police record: only the better link is kept.
    frame = pl.DataFrame(
        {"uid": [0, 1, 2], "source_feed": ["education_census", "police_nominals", "education_census"],
         "record_key": ["c1", "p1", "c2"], "nhs_number_token": [None, None, None], "pnc_id_token": [None, None, None]},
        schema={"uid": pl.Int64, "source_feed": pl.String, "record_key": pl.String, "nhs_number_token": pl.String,
                "pnc_id_token": pl.String},
    )
    result = cluster_records(frame, edges([(0, 1, 0.99), (1, 2, 0.98), (0, 2, 0.97)]), threshold=0.9)
    assert clusters(result.labels) == [0, 0, 2] and result.refused_edges == 2
