"""The truth stays out of partner files, lines up with them row by row, and runs are reproducible."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl
import pytest
from synth_helpers import landing_files, truth_of

from ingestors.contract import load_contracts
from ingestors.detect import feed_from_name
from ingestors.readers import read_delivery
from synth.config import SynthConfig
from synth.generate import SynthResult, generate


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_byte_identical_output(small_run: SynthResult, small_run_again: SynthResult) -> None:
    first, second = _digests(small_run.out), _digests(small_run_again.out)
    assert first.keys() == second.keys()
    assert first == second
    assert small_run.truth.read_bytes() == small_run_again.truth.read_bytes()


def test_a_different_seed_gives_different_files(small_run: SynthResult, other_seed_run: SynthResult) -> None:
    first, second = _digests(small_run.out / "landing"), _digests(other_seed_run.out / "landing")
    shared = first.keys() & second.keys()
    assert shared
    assert all(first[name] != second[name] for name in shared)


def test_no_landing_file_contains_a_person_id_or_its_number(medium_run: SynthResult) -> None:
    truth = truth_of(medium_run)
    person_ids = set(truth["person_id"].drop_nulls().to_list())
    assert len(person_ids) > 1_000
    # Identifiers derived from the person number (e.g. '00001234' or '1234') would leak the truth.
    derived = {pid[1:] for pid in person_ids} | {pid[1:].lstrip("0") for pid in person_ids}
    contracts = load_contracts()
    for path in landing_files(medium_run):
        contract = feed_from_name(path.name, contracts).contract
        raw = read_delivery(path, path.name, [contract])
        assert not any("person" in h.lower() and "id" in h.lower() for h in raw.headers)
        for column in contract.columns:
            header = column.aliases[0]
            cells = {v.strip() for v in raw.frame[header].drop_nulls().to_list()}
            assert not cells & person_ids, (path.name, header)
            if column.column_class == "direct_identifier":
                assert not cells & derived, (path.name, header)


def test_truth_is_outside_the_landing_zone_and_refused_inside(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="landing"):
        generate(SynthConfig(people=300), tmp_path / "out", tmp_path / "out" / "landing" / "truth.csv")


def test_truth_has_one_row_per_data_row_in_file_order(small_run: SynthResult) -> None:
    truth = truth_of(small_run)
    assert truth.columns[:5] == ["feed", "file", "row_number", "person_id", "record_key"]
    contracts = load_contracts()
    total = 0
    for path in landing_files(small_run):
        contract = feed_from_name(path.name, contracts).contract
        raw = read_delivery(path, path.name, [contract])
        rows = truth.filter(pl.col("file") == path.name).sort("row_number")
        assert rows["row_number"].to_list() == raw.frame["_row_number"].to_list()
        assert rows["feed"].unique().to_list() == [contract.feed]
        total += raw.frame.height
        # The first key column is written as is on valid rows, so truth and file line up row by row.
        key_header = contract.column(contract.record_key[0]).aliases[0]
        joined = raw.frame.select("_row_number", pl.col(key_header).alias("value")).join(
            rows.select(pl.col("row_number").alias("_row_number"), "record_key", "defect"), on="_row_number"
        )
        valid = joined.filter(pl.col("defect").is_null())
        first_key = valid["record_key"].str.split("|").list.first()
        assert (valid["value"] == first_key).all(), path.name
    assert truth.height == total


def test_person_feeds_name_a_person_on_every_row(small_run: SynthResult) -> None:
    truth = truth_of(small_run)
    people_rows = truth.filter(pl.col("feed") != "police_occurrences")
    assert people_rows["person_id"].null_count() == 0
    assert (
        truth.filter(pl.col("feed") == "police_occurrences")["person_id"].null_count()
        == truth.filter(pl.col("feed") == "police_occurrences").height
    )


def test_manifest_is_complete_and_has_no_paths_or_clock_times(small_run: SynthResult) -> None:
    manifest = json.loads((small_run.out / "synth_manifest.json").read_text("utf-8"))
    assert manifest["seed"] == 7
    assert manifest["parameters"]["people"] == 2_000
    assert set(manifest["feeds"]) == set(load_contracts())
    assert sum(f["rows"] for f in manifest["feeds"].values()) == manifest["truth"]["rows"]
    assert manifest["ed_police_gap"]["configured"] == 0.7
    assert str(small_run.out) not in json.dumps(manifest)
    population = pl.read_csv(small_run.out / "reference" / "population.csv")
    assert population["population"].sum() == 2_000
