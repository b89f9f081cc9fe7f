"""A routine refresh builds incrementally, and after any delivery it must hold what a full rebuild would.

The scenario lake (lake_scenario.py) is built with the refresh's own `dbt build` (``vrlake.warehouse.dbt_build_args``).
Then a second round of deliveries lands the way ingestion and linkage write them:

- a new police delivery (occurrences and nominals) for a new month: appended to bronze;
- a probation snapshot re-delivered for February: ingestion replaces the period, so the old delivery's rows leave
  bronze and the new delivery's arrive;
- the January ED attendances ingested again (same delivery id, new ingestion time) with one attendance corrected;
- linkage merges two people (person-11's record now belongs to person-10), splits one (person-5's ED attendance
  moves to a new person) and links the new victim.

The incremental refresh must then equal a `--full-refresh` build of the same lake, relation by relation (apart
from staging's ``loaded_at``), and its data tests on the incremental staging models must have checked only the
rows it loaded, while every test downstream checked whole tables.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import polars as pl
import pytest
from deltalake import write_deltalake

from tests.integration.dbt.bronze_schema import REFERENCE_SCHEMAS, bronze_schema
from tests.integration.dbt.dbt_runner import DbtHome, output_tail, query, run_dbt
from tests.integration.dbt.lake_scenario import (
    LSOA_C,
    _caseload,
    _ed_attendance,
    _ledger_row,
    _nominal,
    _occurrence,
    token,
    write_scenario,
)
from vrlake.warehouse import dbt_build_args

COMPARED_SCHEMAS: Final = ("staging", "intermediate", "conformed", "marts")
SPLIT_PERSON: Final = "person-5-split"
UNCHANGED_STAGING: Final = ("stg_education__census", "stg_education__exclusions", "stg_health__ed_assaults")
"""Incremental staging models whose feeds the second round does not deliver to."""
LOADED_AT: Final = "loaded_at"
"""The incremental staging models' record of the run that copied a row (it scopes their data tests)."""
INCREMENTAL_STAGING: Final = (
    "stg_police__occurrences",
    "stg_police__nominals",
    "stg_probation__caseload",
    "stg_health__ed_attendances",
)


def _bronze_rows(repo_root: Path, feed: str, delivery: Mapping[str, str], rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Rows as ingestion writes them to ``bronze/<feed>``: content plus the delivery's lineage columns."""
    schema = bronze_schema(repo_root, feed)
    ingested_at = dt.datetime.fromisoformat(delivery["ingested_at"]).replace(tzinfo=dt.UTC)
    full = []
    for number, content in enumerate(rows, start=1):
        row = dict.fromkeys(schema)
        row.update(content)
        row.update(
            _delivery_id=delivery["delivery_id"], _source_file=delivery["source_file"], _row_number=number,
            _period=delivery["period"], _ingested_at=ingested_at, _contract_version=1, _agreement_version=1,
        )
        full.append(row)
    return pl.DataFrame(full, schema=dict(schema), orient="row")


def _replace(lake: str, table: str, frame: pl.DataFrame, predicate: str | None = None) -> None:
    """Ingestion's scoped replace (ingestors.lake.replace_rows): one commit deleting `predicate`'s rows, adding
    `frame`; without a predicate, an append."""
    if predicate is None:
        write_deltalake(f"{lake}/{table}", frame.to_arrow(), mode="append")
    else:
        write_deltalake(f"{lake}/{table}", frame.to_arrow(), mode="overwrite", predicate=predicate)


def _delivery(delivery_id: str, source_file: str, period: str, ingested_at: str) -> dict[str, str]:
    return {"delivery_id": delivery_id, "source_file": source_file, "period": period, "ingested_at": ingested_at}


def deliver_second_round(repo_root: Path, lake: str) -> None:
    """Write the second round of deliveries and the updated person index (see the module docstring)."""
    pol = _delivery("d-pol-2026-03", "police_occurrences_2026-03.csv", "2026-03", "2026-04-01T06:00:00")
    nom = _delivery("d-nom-2026-03", "police_nominals_2026-03.csv", "2026-03", "2026-04-01T06:05:00")
    prb = _delivery("d-prb-2026-02-v2", "probation_caseload_2026-02_v2.jsonl", "2026-02", "2026-04-02T08:00:00")
    ed = _delivery("d-ed-2026-01", "ed_attendances_2026-01.csv", "2026-01", "2026-04-03T07:05:00")

    occurrences = [_occurrence("M00", "2026-03-03", "8N", LSOA_C), _occurrence("M01", "2026-03-04", "105A", LSOA_C)]
    _replace(lake, "bronze/police_occurrences", _bronze_rows(repo_root, "police_occurrences", pol, occurrences))
    nominals = [_nominal("M00", "person-10", "victim"), _nominal("M01", "person-30", "suspect")]
    _replace(lake, "bronze/police_nominals", _bronze_rows(repo_root, "police_nominals", nom, nominals))
    caseload = [_caseload(crn) for crn in ("X000001", "X000005")]  # X000004 has left the caseload
    _replace(
        lake, "bronze/probation_caseload", _bronze_rows(repo_root, "probation_caseload", prb, caseload),
        "_period = '2026-02'",
    )
    attendances = [_ed_attendance(f"att-{n}", "2026-01-05", "assault", injury="2026-01-05") for n in range(20)]
    attendances[3] = _ed_attendance("att-3", "2026-01-05", "self_harm")  # corrected by the trust
    attendances += [_ed_attendance(f"att-sh-{n}", "2026-01-06", "self_harm") for n in range(2)]
    _replace(
        lake, "bronze/ed_attendances", _bronze_rows(repo_root, "ed_attendances", ed, attendances),
        "_delivery_id = 'd-ed-2026-01'",
    )

    ledger = [
        _ledger_row(pol, "police_occurrences", "police", "loaded", len(occurrences)),
        _ledger_row(nom, "police_nominals", "police", "loaded", len(nominals)),
        _ledger_row(prb, "probation_caseload", "probation", "loaded", len(caseload)),
        _ledger_row({**ed, "delivery_id": "d-ed-2026-01-rerun"}, "ed_attendances", "health", "loaded",
                    len(attendances)),
    ]
    pl.DataFrame(ledger, schema=REFERENCE_SCHEMAS["ops/deliveries"], orient="row").write_delta(
        f"{lake}/ops/deliveries", mode="append"
    )

    index = pl.read_delta(f"{lake}/linkage/person_index")
    merged = index.with_columns(
        pl.when(pl.col("person_key") == token("person", "person-11"))
        .then(pl.lit(token("person", "person-10")))
        # the split: person-5's ED attendance turns out to be someone else's, a person new to the index
        .when(pl.col("_record_key") == token("att", "att-5"))
        .then(pl.lit(token("person", SPLIT_PERSON)))
        .otherwise(pl.col("person_key"))
        .alias("person_key")
    )
    new_link = pl.DataFrame(
        [{"source_feed": "police_nominals", "_record_key": token("nom", "M00", "person-10", "victim"),
          "person_key": token("person", "person-10"), "match_probability": 0.99, "cluster_size": 3,
          "model_version": "test-model-1"}],
        schema=REFERENCE_SCHEMAS["linkage/person_index"], orient="row",
    )
    pl.concat([merged, new_link]).write_delta(f"{lake}/linkage/person_index", mode="overwrite")


def _relations(warehouse: Path) -> list[tuple[str, str]]:
    placeholders = ", ".join("?" for _ in COMPARED_SCHEMAS)
    return [
        (schema, name)
        for schema, name in query(
            warehouse,
            f"select table_schema, table_name from information_schema.tables where table_schema in ({placeholders})"
            " order by 1, 2",
            COMPARED_SCHEMAS,
        )
    ]


def _rows(warehouse: Path, schema: str, name: str) -> list[tuple[Any, ...]]:
    """The relation's rows as a sorted multiset (row order is not content), without ``LOADED_AT``: when a row was
    copied differs between the two warehouses by design; everything else must not."""
    columns = [
        column
        for (column,) in query(
            warehouse,
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?"
            " order by ordinal_position",
            [schema, name],
        )
        if column != LOADED_AT
    ]
    selected = ", ".join(f'"{column}"' for column in columns)  # names from the catalogue
    return sorted(query(warehouse, f'select {selected} from "{schema}"."{name}"'), key=repr)


def _build(project_dir: Path, home: DbtHome, *, full_refresh: bool = False) -> None:
    home.warehouse.parent.mkdir(parents=True, exist_ok=True)
    result = run_dbt(project_dir, dbt_build_args(full_refresh=full_refresh), home.env(), home.target)
    assert result.returncode == 0, output_tail(result)


def _compiled(home: DbtHome, model: str) -> str:
    results = json.loads((home.target / "run_results.json").read_text())["results"]
    return next(r["compiled_code"] for r in results if r["unique_id"] == f"model.vrlake.{model}")


@pytest.fixture(scope="module")
def second_round(
    pytestconfig: pytest.Config, project_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[DbtHome, DbtHome]:
    """(incremental, rebuilt): one warehouse refreshed after each round, one built from scratch after both."""
    root = tmp_path_factory.mktemp("dbt-incremental")
    lake = str(root / "lake")
    incremental = DbtHome(root=root / "incremental", lake_uri=lake, storage_options={})
    rebuilt = DbtHome(root=root / "rebuilt", lake_uri=lake, storage_options={})
    write_scenario(pytestconfig.rootpath, lake)
    _build(project_dir, incremental)
    deliver_second_round(pytestconfig.rootpath, lake)
    _build(project_dir, incremental)
    _build(project_dir, rebuilt, full_refresh=True)
    return incremental, rebuilt


def _delivery_filter(compiled: str) -> set[str] | None:
    """The delivery ids a staging model's compiled query reads from bronze (None: no filter, the whole table)."""
    if re.search(r"where 1 = 0", compiled):
        return set()
    found = re.search(r"_delivery_id as \w+\) in \(([^)]*)\)", compiled)
    return None if found is None else set(re.findall(r"'([^']*)'", found.group(1)))


def test_routine_refresh_selects_only_new_deliveries(second_round: tuple[DbtHome, DbtHome]) -> None:
    """The refresh reads from bronze exactly the deliveries it loads (by id, inside the Delta scan); a full refresh
    reads every row."""
    incremental, rebuilt = second_round
    for model in INCREMENTAL_STAGING:
        by_run = _loaded_at(incremental.warehouse, model)
        loaded_by_refresh = by_run[max(by_run)]
        assert loaded_by_refresh, f"the second round delivered to {model}"
        assert _delivery_filter(_compiled(incremental, model)) == loaded_by_refresh, (
            f"{model} was not refreshed by its new deliveries alone"
        )
        assert _delivery_filter(_compiled(rebuilt, model)) is None, f"{model} ignored --full-refresh"
    for model in UNCHANGED_STAGING:
        assert _delivery_filter(_compiled(incremental, model)) == set(), f"{model} had nothing new but read bronze"


def _test_results(home: DbtHome) -> list[dict[str, Any]]:
    """The data tests of the home's last dbt command: the model each tests, its compiled SQL and its status."""
    manifest = json.loads((home.target / "manifest.json").read_text())
    results = json.loads((home.target / "run_results.json").read_text())["results"]
    tests = []
    for result in results:
        node = manifest["nodes"].get(result["unique_id"], {})
        if node.get("resource_type") == "test":
            attached = node.get("attached_node") or ""
            tests.append({"model": attached.rpartition(".")[2], "sql": result["compiled_code"],
                          "status": result["status"]})
    return tests


def _loaded_at(warehouse: Path, model: str) -> dict[dt.datetime, set[str]]:
    """The deliveries of a staging model by the run (loaded_at) that copied them."""
    by_run: dict[dt.datetime, set[str]] = {}
    for loaded_at, delivery_id in query(warehouse, f"select distinct loaded_at, delivery_id from staging.{model}"):
        by_run.setdefault(loaded_at, set()).add(delivery_id)
    return by_run


def test_staging_tests_check_only_the_rows_this_run_loaded(second_round: tuple[DbtHome, DbtHome]) -> None:
    """A refresh tests the deliveries it loaded, not the feeds' whole history; a full refresh tests every row."""
    incremental, rebuilt = second_round
    by_run = _loaded_at(incremental.warehouse, "stg_police__occurrences")
    assert len(by_run) == 2, "the first round's rows keep the first run's loaded_at"
    this_run = max(by_run)
    assert by_run[this_run] == {"d-pol-2026-03"}
    assert _loaded_at(incremental.warehouse, "stg_health__ed_attendances")[this_run] == {"d-ed-2026-01"}
    assert _loaded_at(incremental.warehouse, "stg_probation__caseload")[this_run] == {"d-prb-2026-02-v2"}
    assert len(_loaded_at(rebuilt.warehouse, "stg_police__occurrences")) == 1, "a full refresh loads every row"

    filter_sql = f"loaded_at = cast('{this_run:%Y-%m-%d %H:%M:%S.%f}' as timestamp)"
    tests = _test_results(incremental)
    staging = [t for t in tests if t["model"] in INCREMENTAL_STAGING]
    assert staging and all(filter_sql in t["sql"] for t in staging), "a staging test re-checked all history"
    downstream = [t for t in tests if t["model"].startswith(("int_", "fct_", "dim_", "mart_"))]
    assert any(t["model"].startswith("mart_") for t in downstream)
    assert not [t["model"] for t in downstream if "loaded_at" in t["sql"]], "published output must be fully checked"
    assert all(t["status"] == "pass" for t in tests)


def test_staging_tests_can_check_every_row_on_request(
    project_dir: Path, second_round: tuple[DbtHome, DbtHome], tmp_path: Path
) -> None:
    """`dbt test` apart from a build (e.g. after a seed change) can still check the staging tables whole."""
    incremental, _ = second_round
    target = tmp_path / "target"
    result = run_dbt(
        project_dir,
        ["test", "--select", "stg_police__occurrences", "--vars", json.dumps({"staging_tests_all_rows": True})],
        incremental.env(),
        target,
    )
    assert result.returncode == 0, output_tail(result)
    tests = _test_results(DbtHome(root=tmp_path, lake_uri=incremental.lake_uri, storage_options={}))
    assert tests and all(t["model"] == "stg_police__occurrences" and t["status"] == "pass" for t in tests)
    assert not [t for t in tests if "loaded_at" in t["sql"]]


def test_incremental_refresh_equals_a_full_rebuild(second_round: tuple[DbtHome, DbtHome]) -> None:
    incremental, rebuilt = second_round
    relations = _relations(rebuilt.warehouse)
    assert _relations(incremental.warehouse) == relations
    assert {"fct_violence_event", "dim_person", "mart_violence_by_area_month"} <= {name for _, name in relations}
    different = [
        f"{schema}.{name}"
        for schema, name in relations
        if _rows(incremental.warehouse, schema, name) != _rows(rebuilt.warehouse, schema, name)
    ]
    assert different == []


def test_second_round_reached_the_conformed_models(second_round: tuple[DbtHome, DbtHome]) -> None:
    """The comparison above is only meaningful if the second round changed what the refresh had to update."""
    incremental, _ = second_round
    warehouse = incremental.warehouse
    # The withdrawn February probation snapshot left staging; the re-delivery replaced it.
    assert query(warehouse, "select distinct delivery_id from staging.stg_probation__caseload order by 1") == [
        ("d-prb-2026-01-b",), ("d-prb-2026-02-v2",)
    ]
    # The re-ingested ED delivery is held once, from its latest ingestion.
    assert query(
        warehouse, "select count(*), min(ingested_at) from staging.stg_health__ed_attendances"
    ) == [(22, dt.datetime(2026, 4, 3, 7, 5))]
    # The merge: person-11's ED attendance now belongs to person-10, who is also a new police victim.
    person_10 = token("person", "person-10")
    assert query(
        warehouse, "select count(*) from conformed.dim_person where person_key = ?", [token("person", "person-11")]
    ) == [(0,)]
    assert query(
        warehouse,
        "select count(*) from conformed.fct_violence_event where person_key = ? and source_agency = 'police'",
        [person_10],
    ) == [(1,)]
    # The split: person-5 keeps the police record, the new person has the ED attendance (in the tables that hold
    # per-record person keys, not only in the views over them).
    known = "select is_known_to_police, is_known_to_health from conformed.dim_person where person_key = ?"
    assert query(warehouse, known, [token("person", "person-5")]) == [(True, False)]
    assert query(warehouse, known, [token("person", SPLIT_PERSON)]) == [(False, True)]
    assert query(
        warehouse, "select person_key from intermediate.int_person_records__unioned where source_feed = ?"
        " and record_key = ?", ["ed_attendances", token("att", "att-5")],
    ) == [(token("person", SPLIT_PERSON),)]
