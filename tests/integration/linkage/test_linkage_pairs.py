"""The errors linkage must survive, and the one it must never make, with the model trained on a synthetic lake.

Each scenario is a small cohort list pseudonymised exactly as ingestion would and linked against the lake (so term
frequencies come from the lake, as in a routine run). The people are invented and not in the lake.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from linkage.cohort import pseudonymise_cohort, read_cohort
from linkage.cohort_link import link_cohort
from linkage.index import read_index
from linkage.records import gather_records
from linkage.train import load_model
from privacy.keys import load_master_key
from tests.integration.linkage.conftest import KEY_ENV, TrainedLake

HEADER = "record_id,source,forenames,surname,date_of_birth,sex,postcode,nhs_number"
BASE = "a,police,Jonathan,Whitworth,1998-03-14,M,AW1 0BZ,"


def link(lake: TrainedLake, tmp_path: Path, rows: list[str]) -> dict[str, str]:
    path = tmp_path / "pair.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    cohort = pseudonymise_cohort(read_cohort(path), load_master_key(KEY_ENV))
    assert cohort.rows_rejected == 0
    result = link_cohort(
        cohort.records, load_model(lake.store), lake_records=gather_records(lake.store), lake_index=read_index(lake.store)
    )
    return dict(result.output.select("record_id", "person_key").iter_rows())


@pytest.mark.parametrize(
    ("error", "variant"),
    [
        ("a typo in the surname", "b,health,Jonathan,Whitwroth,1998-03-14,M,AW1 0BZ,"),
        ("a typo in the forename", "b,health,Jonathon,Whitworth,1998-03-14,M,AW1 0BZ,"),
        ("a nickname", "b,health,Jon,Whitworth,1998-03-14,M,AW1 0BZ,"),
        ("a middle name added", "b,health,Jonathan Robert,Whitworth,1998-03-14,M,AW1 0BZ,"),
        ("forename and surname swapped", "b,health,Whitworth,Jonathan,1998-03-14,M,AW1 0BZ,"),
    ],
)
def test_a_person_still_links_despite(trained_lake: TrainedLake, tmp_path: Path, error: str, variant: str) -> None:
    keys = link(trained_lake, tmp_path, [BASE, variant])
    assert keys["a"] == keys["b"], error


def test_day_and_month_swapped_in_the_date_of_birth_still_links(trained_lake: TrainedLake, tmp_path: Path) -> None:
    keys = link(trained_lake, tmp_path, [
        "a,police,Harriet,Okonkwo-Bell,2004-05-09,F,AW1 0EY,",
        "b,health,Harriet,Okonkwo-Bell,2004-09-05,F,AW1 0EY,",
    ])
    assert keys["a"] == keys["b"]


def test_two_people_with_the_same_name_and_birth_date_but_different_nhs_numbers_stay_apart(
    trained_lake: TrainedLake, tmp_path: Path
) -> None:
    keys = link(trained_lake, tmp_path, [
        "a,health,Jonathan,Whitworth,1998-03-14,M,AW1 0BZ,9434765919",
        "b,health,Jonathan,Whitworth,1998-03-14,M,AW1 0BZ,9434765870",
        # A record without an NHS number that matches both must not pull them together.
        "c,police,Jonathan,Whitworth,1998-03-14,M,AW1 0BZ,",
    ])
    assert keys["a"] != keys["b"]
    assert keys["c"] in (keys["a"], keys["b"])


def test_different_people_stay_apart(trained_lake: TrainedLake, tmp_path: Path) -> None:
    keys = link(trained_lake, tmp_path, [BASE, "b,health,Priya,Whitworth,1971-11-02,F,AW1 0BZ,"])
    assert keys["a"] != keys["b"]


def test_the_lakes_linkage_quality_meets_the_targets(trained_lake: TrainedLake) -> None:
    from linkage.quality import evaluate, read_truth, truth_for_records

    records = gather_records(trained_lake.store)
    quality = evaluate(read_index(trained_lake.store), truth_for_records(records, read_truth(trained_lake.area.truth)))
    assert quality.records > 1_000 and quality.true_pairs > 50
    assert quality.precision >= 0.995 and quality.f1 >= 0.99, quality.summary()
