"""Level 3 releases: per-release pseudonyms (two releases cannot be joined), only L3-agreed feeds, nothing linkable,
and every release audited."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from privacy.release import RELEASE_PSEUDONYM, ReleaseRefused, release_extract
from tests.ingestion_helpers import TEST_KEY, make_lake

PERSON_FACTORS = pl.DataFrame(
    {
        "person_key": ["p1", "p2", "p1", "p3"],
        "factor_code": ["R01", "R02", "R09", "R04"],
        "source_agency": ["police", "police", "education", "probation"],
        "surname_token": ["t1", "t2", "t1", "t3"],
        "_record_key": ["r1", "r2", "r3", "r4"],
    }
)


def test_two_releases_cannot_be_joined_and_only_l3_feeds_leave(tmp_path: Path) -> None:
    lake = make_lake(tmp_path)
    common = {"requested_by": "A. Analyst", "purpose": "Evaluation of the hospital navigator programme cohort"}
    first = release_extract(lake.store, {"person_factors": PERSON_FACTORS}, TEST_KEY, out_dir=tmp_path / "r1", **common)
    second = release_extract(lake.store, {"person_factors": PERSON_FACTORS}, TEST_KEY, out_dir=tmp_path / "r2", **common)

    one = pl.read_parquet(next((tmp_path / "r1").glob("*.parquet")))
    two = pl.read_parquet(next((tmp_path / "r2").glob("*.parquet")))
    assert set(one.get_column("source_agency")) == {"police"}, "only police agreements allow L3"
    assert (first.rows, first.rows_withheld) == (2, 2)
    assert set(one.columns) == {RELEASE_PSEUDONYM, "factor_code", "source_agency"}, "no tokens, keys or lineage"
    assert one.get_column(RELEASE_PSEUDONYM).n_unique() == 2
    assert set(one.get_column(RELEASE_PSEUDONYM)).isdisjoint(set(two.get_column(RELEASE_PSEUDONYM)))

    releases = lake.table("ops/releases").sort("released_at")
    assert releases.get_column("release_id").to_list() == [first.release_id, second.release_id]
    assert releases.row(0, named=True)["requested_by"] == "A. Analyst" and releases.row(0, named=True)["rows"] == 2
    assert "DSA-POL-NOM v1" in releases.row(0, named=True)["agreements"]
    assert lake.table("ops/audit").filter(pl.col("event_type") == "release").height == 2


def test_a_table_that_cannot_name_its_sources_is_refused(tmp_path: Path) -> None:
    lake = make_lake(tmp_path)
    with pytest.raises(ReleaseRefused, match="which feed or agency"):
        release_extract(lake.store, {"t": PERSON_FACTORS.drop("source_agency")}, TEST_KEY,
                        requested_by="A. Analyst", purpose="Evaluation of a programme cohort", out_dir=tmp_path / "r")
    with pytest.raises(ReleaseRefused, match="purpose"):
        release_extract(lake.store, {"t": PERSON_FACTORS}, TEST_KEY, requested_by="A. Analyst", purpose="x",
                        out_dir=tmp_path / "r")
