"""Training twice on the same records gives the same model: the same scores, clusters and model digest.

DuckDB's parallel sums leave run-to-run noise in the last digits of EM's estimates; left in, it reordered
near-tied links between runs on the same lake.
"""

from __future__ import annotations

from linkage.records import gather_records
from linkage.train import reproducible, train_model
from tests.integration.linkage.conftest import FAST_U_PAIRS, TrainedLake


def test_the_same_records_train_the_same_model(trained_lake: TrainedLake) -> None:
    records = gather_records(trained_lake.store)
    first, second = (train_model(records, u_pairs=FAST_U_PAIRS) for _ in range(2))
    assert first.settings == second.settings
    assert first.version.split("-")[-1] == second.version.split("-")[-1], "the content digest of the version"


def test_estimates_are_rounded_and_the_random_linker_id_dropped() -> None:
    settings = {
        "linker_uid": "dnvxnkz4",
        "probability_two_random_records_match": 1.2345678912345e-05,
        "comparisons": [
            {"comparison_levels": [{"is_null_level": True},
                                   {"m_probability": 0.928675947405666, "u_probability": 0.0069350114887966035}]}
        ],
    }
    result = reproducible(settings)
    assert "linker_uid" not in result
    assert result["probability_two_random_records_match"] == 1.2345679e-05
    assert result["comparisons"][0]["comparison_levels"][1] == {"m_probability": 0.92867595, "u_probability": 0.0069350115}
    assert result["comparisons"][0]["comparison_levels"][0] == {"is_null_level": True}
