"""Shared fixtures for the linkage integration tests: one small synthetic area, and a lake built from it through
the real ingestion (so linkage runs on exactly what bronze holds), with a trained model and a person index."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from ingestors.context import build_ingest_context
from ingestors.ingest import ingest_file
from ingestors.lake_init import initialise_lake
from ingestors.reference import load_reference
from privacy.keys import load_master_key
from storage import StorageSettings, Store, open_store
from synth.config import SynthConfig
from synth.generate import generate
from tests.conftest import TEST_KEY_HEX

KEY_ENV = {"VRLAKE_PSEUDONYMISATION_KEY": TEST_KEY_HEX}
LINKED_FEEDS = ("police_nominals", "probation_caseload", "education_census", "education_exclusions", "ed_attendances")
TODAY = dt.date(2026, 11, 1)
FAST_U_PAIRS = 2e5


@dataclass(frozen=True)
class Area:
    out: Path
    truth: Path

    def files(self, keep: Callable[[str], bool] = lambda name: True) -> list[Path]:
        """Landing files of person feeds (ISTV and occurrences carry nobody to link), oldest period first."""
        paths = [p for p in (self.out / "landing").rglob("*.*") if any(p.name.startswith(f) for f in LINKED_FEEDS)]
        return sorted((p for p in paths if keep(p.name)), key=lambda p: (p.stem[-7:], p.name))


@pytest.fixture(scope="session")
def area(tmp_path_factory: pytest.TempPathFactory) -> Area:
    out = tmp_path_factory.mktemp("linkage-synth")
    truth = out.parent / f"{out.name}-truth.csv"
    generate(SynthConfig(people=6_000, seed=11, months=4), out, truth)
    return Area(out=out, truth=truth)


def ingest(store: Store, area: Area, files: list[Path], env: dict[str, str] | None = None) -> None:
    """Load the reference data, then drop and ingest ``files`` as the partners' deliveries."""
    env = env or KEY_ENV
    load_reference(store, area.out / "reference", load_master_key(env))
    context = build_ingest_context(store, env, run_id="linkage-tests")
    context = dataclasses.replace(context, today=TODAY)
    for path in files:
        landing = path.relative_to(area.out / "landing").as_posix()
        store.upload_file("landing", landing, path)
        outcome = ingest_file(context, landing)
        assert outcome.status.value == "loaded", (path.name, outcome.explanation)


@dataclass(frozen=True)
class TrainedLake:
    home: Path
    store: Store
    area: Area


@pytest.fixture(scope="session")
def trained_lake(area: Area, tmp_path_factory: pytest.TempPathFactory) -> TrainedLake:
    """Every person file ingested, a model trained and saved, and the person index built (read-only for tests)."""
    from linkage.index import update_person_index
    from linkage.records import gather_records
    from linkage.train import save_model, train_model

    home = tmp_path_factory.mktemp("linkage-lake")
    store = open_store(StorageSettings(home=home))
    initialise_lake(store)
    ingest(store, area, area.files())
    records = gather_records(store)
    model = train_model(records, u_pairs=FAST_U_PAIRS)
    save_model(store, model)
    update_person_index(store, records, model)
    return TrainedLake(home=home, store=store, area=area)


def cleartext_people(area: Area) -> pl.DataFrame:
    """Cleartext rows of the police and ED files in the cohort layout, with the truth's person id (test only)."""
    truth = pl.read_csv(area.truth, schema_overrides={"person_id": pl.String, "record_key": pl.String})
    frames = []
    for path in area.files(lambda n: n.startswith(("police_nominals", "ed_attendances"))):
        police = path.name.startswith("police")
        raw = pl.read_csv(path, infer_schema=False, separator="," if police else "|")
        if police:
            frame = raw.select(
                pl.col("Forenames").alias("forenames"), pl.col("Surname").alias("surname"),
                pl.col("DOB").str.strptime(pl.Date, "%d/%m/%Y", strict=False).dt.strftime("%Y-%m-%d")
                .alias("date_of_birth"),
                pl.col("Sex").alias("sex"), pl.col("HomePostcode").alias("postcode"), pl.col("PNCID").alias("pnc_id"),
                pl.lit(None, pl.String).alias("nhs_number"),
            )
        else:
            frame = raw.select(
                pl.col("PatientForename").alias("forenames"), pl.col("PatientSurname").alias("surname"),
                pl.col("PersonBirthDate").alias("date_of_birth"),
                pl.col("PersonStatedGenderCode").alias("sex"), pl.col("Postcode").alias("postcode"),
                pl.lit(None, pl.String).alias("pnc_id"), pl.col("NHSNumber").alias("nhs_number"),
            )
        frame = frame.with_row_index("row_number", offset=1).with_columns(
            pl.lit(path.name).alias("file"), pl.col("row_number").cast(pl.Int64)
        )
        frames.append(frame)
    people = pl.concat(frames).join(truth.select("file", "row_number", "person_id", "defect"),
                                    on=["file", "row_number"])
    return people.filter(pl.col("defect").is_null()).with_columns(
        (pl.col("file") + ":" + pl.col("row_number").cast(pl.String)).alias("record_id"),
        pl.col("file").str.extract(r"^([a-z_]+)_\d").alias("source"),
    )
