"""The dbt project's hand-written copies of shared facts agree with their sources of truth (no dbt run needed).

- the seed of Home Office codes matches ``ingestors/contracts/code_lists.yaml``;
- every bronze source declares exactly the columns its contract and data-sharing agreement produce, and maps
  to the Dagster asset that writes it (``meta.dagster.asset_key = ["bronze", <feed>]``);
- the var ``period_snapshot_feeds`` names exactly the feeds whose contract says ``delivery: period_snapshot``;
- the seed of feeds matches the contracts, and var ``age_bands`` is ISTV's code list;
- every model states its grain and every conformed and published column is documented;
- every numeric published column is a disclosure-controlled count or named as something else (the published-files
  scanner relies on it);
- every factor rule has a unit test, and the rules cover exactly the factors the catalogue says are evidenced.
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


# --- the shared schema and the marts ----------------------------------------------------------------------------


def model_definitions(project_dir: Path) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Every model's YAML definition: name -> (file, definition)."""
    definitions: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in sorted((project_dir / "models").rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            definitions[model["name"]] = (path, model)
    return definitions


def unit_tests(project_dir: Path) -> list[dict[str, Any]]:
    return [
        test
        for path in sorted((project_dir / "models").rglob("*.yml"))
        for test in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("unit_tests", [])
    ]


def test_feed_seed_matches_the_contracts(repo_root: Path) -> None:
    from ingestors.contract import load_contracts

    with (repo_root / DBT_PROJECT / "seeds" / "feeds.csv").open(encoding="utf-8") as handle:
        seed = {
            row["feed"]: (
                row["partner"],
                row["title"],
                row["delivery"],
                row["person_feed"] == "true",
                int(row["expected_every_days"]),
            )
            for row in csv.DictReader(handle)
        }
    assert seed == {
        feed: (
            contract.partner,
            contract.title,
            contract.delivery.value,
            contract.person_feed,
            contract.expected_every_days,
        )
        for feed, contract in load_contracts().items()
    }


def test_age_bands_var_matches_the_istv_contract_and_the_tests(repo_root: Path) -> None:
    """The bands that age people, scaffold marts and join the population must be ISTV's (and the ONS file's)."""
    from ingestors.contract import load_contracts

    project = yaml.safe_load((repo_root / DBT_PROJECT / "dbt_project.yml").read_text(encoding="utf-8"))
    bands = [band["age_band"] for band in project["vars"]["age_bands"]]
    istv = next(column for column in load_contracts()["ed_assaults"].columns if column.name == "age_band")
    assert bands == list(istv.codes)
    for band, following in zip(project["vars"]["age_bands"], project["vars"]["age_bands"][1:], strict=False):
        assert following["min_age"] == band["max_age"] + 1


def test_every_model_states_its_grain_and_every_shared_column_is_documented(repo_root: Path) -> None:
    project_dir = repo_root / DBT_PROJECT
    definitions = model_definitions(project_dir)
    models = {path.stem for path in (project_dir / "models").rglob("*.sql")}
    assert models - set(definitions) == set(), "models without a YAML definition"
    for name in models:
        path, model = definitions[name]
        assert "Grain:" in (model.get("description") or ""), f"{name} does not state its grain"
        if path.parent.name in ("conformed", "jsna") and path.parts[-3] in ("models", "marts"):
            undocumented = [c["name"] for c in model.get("columns", []) if not c.get("description")]
            assert undocumented == [], f"{name}: columns without a description: {undocumented}"


def test_every_numeric_mart_column_is_a_controlled_count_or_named_as_not_a_count(repo_root: Path) -> None:
    """The published-files scanner decides what is a count from names alone (publishing/disclosure_scan.py): a count
    has a <name>_display sibling and dbt's safe_published_count test; anything else numeric must be named as a
    rate, percentage, ratio, rank, order, days, months or population. A column that is neither would be scanned as
    a count and fail, so it is caught here first, at review time."""
    from publishing.disclosure_scan import DISPLAY_SUFFIX, is_exempt

    for name, (path, model) in model_definitions(repo_root / DBT_PROJECT).items():
        if "marts" not in path.parts:
            continue
        columns = {column["name"]: column for column in model["columns"]}
        for column_name, column in columns.items():
            if column.get("data_type") not in ("bigint", "integer", "double"):
                continue
            if f"{column_name}{DISPLAY_SUFFIX}" in columns:
                tests = [
                    test["safe_published_count"]
                    for test in column.get("data_tests", [])
                    if isinstance(test, dict) and "safe_published_count" in test
                ]
                assert (
                    tests and tests[0]["arguments"]["display_column"] == f"{column_name}{DISPLAY_SUFFIX}"
                ), f"{name}.{column_name} has a display column but no safe_published_count test"
            else:
                assert is_exempt(column_name), (
                    f"{name}.{column_name} is numeric but neither a count nor exempt"
                )


FACTOR_MODELS: Final = "models/intermediate/factors"


def test_every_factor_rule_has_a_unit_test_and_rules_cover_the_evidenced_factors(repo_root: Path) -> None:
    import re

    project_dir = repo_root / DBT_PROJECT
    rules = {
        rule
        for path in (project_dir / FACTOR_MODELS).glob("int_factor_evidence__*.sql")
        for rule in re.findall(r"'([RP]\d{2}_[a-z_]+)'", path.read_text(encoding="utf-8"))
    }
    tested = {
        row["evidence_rule"]
        for test in unit_tests(project_dir)
        if test["model"].startswith("int_factor_evidence__")
        for row in test["expect"]["rows"]
        if "evidence_rule" in row
    }
    assert rules - tested == set(), "factor rules without a unit test expecting them"

    with (project_dir / "seeds" / "risk_protective_factors.csv").open(encoding="utf-8") as handle:
        evidenced = {row["factor_code"] for row in csv.DictReader(handle) if row["is_evidenced"] == "true"}
    assert {rule[:3] for rule in rules} == evidenced
