"""The dbt project's hand-written copies of shared facts agree with their sources of truth (no dbt run needed).

- the seed of Home Office codes matches ``ingestors/contracts/code_lists.yaml``;
- every bronze source declares exactly the columns its contract and data-sharing agreement produce, and maps
  to the Dagster asset that writes it (``meta.dagster.asset_key = ["bronze", <feed>]``);
- the var ``period_snapshot_feeds`` names exactly the feeds whose contract says ``delivery: period_snapshot``.
A changed agreement (a field newly dropped or kept) therefore fails here until the dbt sources follow it.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Final

import pytest
import yaml

from tests.integration.dbt.bronze_schema import (
    CONTRACTS_DIR,
    bronze_schema,
    feed_partner,
    feeds,
    home_office_codes,
)

DBT_PROJECT: Final = "dbt_project"


def bronze_sources(project_dir: Path) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every source table whose schema is ``bronze``: feed -> (source name, table definition)."""
    tables: dict[str, tuple[str, dict[str, Any]]] = {}
    for path in sorted((project_dir / "models").rglob("*.yml")):
        for source in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("sources", []):
            if source.get("schema") == "bronze":
                for table in source["tables"]:
                    tables[table["name"]] = (source["name"], table)
    return tables


@pytest.fixture(scope="module")
def repo_root(pytestconfig: pytest.Config) -> Path:
    return pytestconfig.rootpath


def test_seed_matches_the_shared_code_list(repo_root: Path) -> None:
    with (repo_root / DBT_PROJECT / "seeds" / "home_office_violence_codes.csv").open(
        encoding="utf-8"
    ) as handle:
        seed = [(row["code"], row["category"]) for row in csv.DictReader(handle)]
    assert seed == home_office_codes(repo_root)


def test_every_feed_has_a_bronze_source(repo_root: Path) -> None:
    assert sorted(bronze_sources(repo_root / DBT_PROJECT)) == feeds(repo_root)


@pytest.mark.parametrize(
    "feed",
    [
        "ed_assaults",
        "ed_attendances",
        "education_census",
        "education_exclusions",
        "police_nominals",
        "police_occurrences",
        "probation_caseload",
    ],
)
def test_bronze_source_follows_the_agreement(repo_root: Path, feed: str) -> None:
    source_name, table = bronze_sources(repo_root / DBT_PROJECT)[feed]
    assert source_name == feed_partner(repo_root, feed)
    assert table["meta"]["dagster"]["asset_key"] == ["bronze", feed]
    assert table["meta"]["delta_table"] == f"bronze/{feed}"
    assert sorted(column["name"] for column in table["columns"]) == sorted(bronze_schema(repo_root, feed))


def test_period_snapshot_feeds_var_matches_the_contracts(repo_root: Path) -> None:
    project = yaml.safe_load((repo_root / DBT_PROJECT / "dbt_project.yml").read_text(encoding="utf-8"))
    snapshot_feeds = [
        feed
        for feed in feeds(repo_root)
        if yaml.safe_load((repo_root / CONTRACTS_DIR / f"{feed}.yaml").read_text(encoding="utf-8"))[
            "delivery"
        ]
        == "period_snapshot"
    ]
    assert sorted(project["vars"]["period_snapshot_feeds"]) == snapshot_feeds
