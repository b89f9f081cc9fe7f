"""A synthetic VRU area taken through the real pipeline without Dagster: synthesise, deliver some partners' files,
ingest, link (ORACLE linkage from the synthetic truth), dbt build, publish every mart, write the JSNA report.

ORACLE LINKAGE: ``write_oracle_person_index`` writes ``linkage/person_index`` from the generator's truth file, i.e.
perfect linkage. It exists only so the person-level marts can be tested before the real linkage lands; it is test
code, never shipped, and it labels every row ``model_version = "oracle-from-synthetic-truth"``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import polars as pl

from ingestors.context import build_ingest_context
from ingestors.ingest import DeliveryOutcome, ingest_file, pending_files
from ingestors.lake import bronze_table, read_table, table_exists
from ingestors.lake_init import PERSON_INDEX_SCHEMA, PERSON_INDEX_TABLE, initialise_lake
from ingestors.reference import load_reference
from privacy.keys import load_master_key
from storage import StorageSettings, Store, open_store
from synth.config import SynthConfig
from synth.generate import generate
from tests.integration.dbt.dbt_runner import DbtHome, build, output_tail

ORACLE_MODEL_VERSION: Final = "oracle-from-synthetic-truth"
PERSON_FEEDS: Final = (
    "police_nominals",
    "probation_caseload",
    "education_census",
    "education_exclusions",
    "ed_attendances",
)
TEST_KEY_HEX: Final = "76726c616b652d746573742d6b65792d6e6f742d7365637265742d3031323334"
"""The test suite's pseudonymisation key (the same bytes as tests/conftest.py's TEST_KEY_HEX)."""


@dataclass(frozen=True)
class SyntheticArea:
    """Generated partner files (``out/landing/<partner>/``), reference files and the truth, kept apart."""

    out: Path
    truth: Path
    manifest: dict[str, Any]

    @property
    def configured_gap(self) -> float:
        return float(self.manifest["ed_police_gap"]["configured"])

    @property
    def realised_gap(self) -> float:
        return float(self.manifest["ed_police_gap"]["realised"])

    @property
    def ed_assault_attendances(self) -> int:
        return int(self.manifest["ed_police_gap"]["assault_attendances"])


def generate_area(out: Path, config: SynthConfig) -> SyntheticArea:
    truth = out.parent / f"{out.name}-truth.csv"
    generate(config, out, truth)
    manifest = json.loads((out / "synth_manifest.json").read_text(encoding="utf-8"))
    return SyntheticArea(out=out, truth=truth, manifest=manifest)


def open_home(home: Path) -> Store:
    """A local-backend store under ``home`` with every lake table created (as `vrlake` does before any delivery)."""
    store = open_store(StorageSettings(backend="local", home=home))
    initialise_lake(store)
    return store


def key_environment() -> dict[str, str]:
    return {"VRLAKE_PSEUDONYMISATION_KEY": TEST_KEY_HEX}


def deliver(store: Store, area: SyntheticArea, partners: Iterable[str]) -> list[DeliveryOutcome]:
    """Load the reference data, drop the named partners' files into their drop zones and ingest them all."""
    load_reference(store, area.out / "reference", load_master_key(key_environment()))
    for partner in partners:
        folder = area.out / "landing" / partner
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            store.upload_file("landing", f"{partner}/{path.name}", path)
    context = build_ingest_context(store, key_environment(), run_id="synthetic-pipeline", user="tests")
    return [ingest_file(context, info.path) for info in pending_files(store)]


def write_oracle_person_index(store: Store, area: SyntheticArea) -> int:
    """ORACLE linkage (see the module docstring): every loaded person-feed row gets its true person's key.

    Joins bronze to the truth on (source file, row number), which is how the truth file is defined. Returns the
    number of rows written.
    """
    truth = pl.read_csv(area.truth, schema_overrides={"person_id": pl.String, "row_number": pl.Int64}).filter(
        pl.col("person_id").is_not_null()
    )
    frames = []
    for feed in PERSON_FEEDS:
        if not table_exists(store, bronze_table(feed)):
            continue
        bronze = read_table(store, bronze_table(feed)).select("_record_key", "_source_file", "_row_number")
        linked = bronze.join(
            truth.filter(pl.col("feed") == feed).select(
                pl.col("file").alias("_source_file"), pl.col("row_number").alias("_row_number"), "person_id"
            ),
            on=["_source_file", "_row_number"],
            how="inner",
        ).unique("_record_key", keep="first")
        frames.append(linked.with_columns(pl.lit(feed).alias("source_feed")))
    rows = (
        pl.concat(frames)
        if frames
        else pl.DataFrame(schema={"_record_key": pl.String, "person_id": pl.String})
    )
    index = rows.select(
        pl.col("source_feed"),
        pl.col("_record_key"),
        pl.col("person_id").map_elements(_oracle_person_key, return_dtype=pl.String).alias("person_key"),
        pl.lit(1.0).alias("match_probability"),
        pl.lit(None, pl.Int64).alias("cluster_size"),
        pl.lit(ORACLE_MODEL_VERSION).alias("model_version"),
        pl.lit(dt.datetime.now(dt.UTC)).cast(pl.Datetime("us", "UTC")).alias("linked_at"),
    )
    sizes = index.group_by("person_key").len("cluster_size")
    index = index.drop("cluster_size").join(sizes, on="person_key").select(list(PERSON_INDEX_SCHEMA))
    index = index.cast(PERSON_INDEX_SCHEMA)  # type: ignore[arg-type]
    index.write_delta(store.delta_uri(PERSON_INDEX_TABLE), mode="overwrite")
    return index.height


def _oracle_person_key(person_id: str) -> str:
    return hashlib.sha256(f"oracle|{person_id}".encode()).hexdigest()[:32]


def dbt_home(store: Store, root: Path) -> DbtHome:
    """dbt pointed at the store's lake and at the warehouse file publishing reads."""
    return DbtHome(
        root=root,
        lake_uri=store.delta_uri("").rstrip("/"),
        storage_options={},
        warehouse_path=store.local_warehouse_path(),
    )


def build_warehouse(
    project_dir: Path,
    store: Store,
    root: Path,
    *,
    exclude: Sequence[str] = (),
    variables: dict[str, Any] | None = None,
) -> DbtHome:
    home = dbt_home(store, root)
    result = build(project_dir, home, exclude=exclude, variables=variables)
    if result.returncode != 0:
        raise AssertionError(f"dbt build failed:\n{output_tail(result)}")
    return home


def mart_relations(target: Path) -> list[tuple[str, str]]:
    """(schema, name) of every model under models/marts/, from the manifest of the build in ``target``."""
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    return sorted(
        (node["schema"], node.get("alias") or node["name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]
    )


def publish_all(store: Store, target: Path) -> list[str]:
    """Export every mart as the publishing assets do (Delta, CSV, XLSX, manifest). Returns the mart names."""
    from publishing.export import publish_mart, read_mart

    names = []
    for schema, name in mart_relations(target):
        publish_mart(store, name, read_mart(store, name, schema))
        names.append(name)
    return names


def published_scenario(root: Path, repo_root: Path, project_dir: Path, *, with_tests: bool = False) -> Store:
    """The dbt tests' hand-countable lake (tests/integration/dbt/lake_scenario.py) built, published and reported
    on, in a local store under ``root``. Police, ED and probation delivered; education never delivered."""
    from publishing.report import write_report
    from tests.integration.dbt.dbt_runner import WITHOUT_TESTS
    from tests.integration.dbt.lake_scenario import write_scenario

    store = open_home(root / "home")
    write_scenario(repo_root, store.delta_uri("").rstrip("/"))
    home = build_warehouse(project_dir, store, root / "dbt", exclude=() if with_tests else WITHOUT_TESTS)
    publish_all(store, home.target)
    write_report(store, project_dir)
    return store
