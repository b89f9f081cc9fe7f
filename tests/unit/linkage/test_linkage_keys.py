"""Person-key reconciliation: existing people keep their keys; every change is an event; keys are never reused."""

from __future__ import annotations

import polars as pl

from linkage.index import assign_person_keys, new_person_key


def clusters(assignment: dict[str, int]) -> pl.DataFrame:
    return pl.DataFrame(
        {"source_feed": ["f"] * len(assignment), "record_key": list(assignment), "cluster": list(assignment.values())},
        schema={"source_feed": pl.String, "record_key": pl.String, "cluster": pl.Int64},
    )


def previous(assignment: dict[str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"source_feed": ["f"] * len(assignment), "record_key": list(assignment), "person_key": list(assignment.values())},
        schema={"source_feed": pl.String, "record_key": pl.String, "person_key": pl.String},
    )


def keys_of(frame: pl.DataFrame) -> dict[str, str]:
    return dict(frame.select("record_key", "person_key").iter_rows())


def events_of(events: list[dict]) -> list[tuple]:
    return sorted((e["event"], e["person_key"], e["related_person_key"], e["records"]) for e in events)


def test_existing_people_keep_their_keys_and_new_records_join_them() -> None:
    keyed, events = assign_person_keys(
        clusters({"a": 0, "b": 0, "c": 1, "d": 2}), previous({"a": "K1", "c": "K2"}), {"K1", "K2"}
    )
    keys = keys_of(keyed)
    assert keys["a"] == keys["b"] == "K1" and keys["c"] == "K2"
    assert keys["d"] not in {"K1", "K2"}
    assert events_of(events) == [("created", keys["d"], None, 1)]


def test_a_merge_keeps_the_larger_key_and_records_the_retired_one() -> None:
    keyed, events = assign_person_keys(
        clusters({"a": 0, "b": 0, "c": 0}), previous({"a": "K1", "b": "K1", "c": "K2"}), {"K1", "K2"}
    )
    assert set(keys_of(keyed).values()) == {"K1"}
    assert events_of(events) == [("merged", "K1", "K2", 1)]


def test_a_split_gives_the_smaller_part_a_new_key_and_records_where_it_came_from() -> None:
    keyed, events = assign_person_keys(
        clusters({"a": 0, "b": 0, "c": 1}), previous({"a": "K1", "b": "K1", "c": "K1"}), {"K1"}
    )
    keys = keys_of(keyed)
    assert keys["a"] == keys["b"] == "K1" and keys["c"] != "K1"
    assert events_of(events) == [("split", keys["c"], "K1", 1)]


def test_records_moving_between_surviving_keys_and_retired_keys_are_recorded() -> None:
    keyed, events = assign_person_keys(
        clusters({"a": 0, "b": 0, "c": 1, "d": 1}),
        previous({"a": "K1", "b": "K1", "c": "K1", "d": "K2", "gone": "K3"}),
        {"K1", "K2", "K3"},
    )
    keys = keys_of(keyed)
    assert keys == {"a": "K1", "b": "K1", "c": "K2", "d": "K2"}
    assert events_of(events) == [("moved", "K2", "K1", 1), ("retired", "K3", None, 0)]


def test_keys_are_deterministic_and_never_reused() -> None:
    used: set[str] = set()
    first = new_person_key("f|r1", used)
    assert first == new_person_key("f|r1", set())
    second = new_person_key("f|r1", used)
    assert second != first and {first, second} <= used
