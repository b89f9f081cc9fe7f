"""Partners join over time: a synthetic area where only the police and the emergency department have delivered.

The whole pipeline runs for real (synthesise, ingest, ORACLE linkage from the generator's truth until the real
linkage lands, `dbt build` with every test, publish, report, scan). Every mart must build and publish, the report
must say which feeds are missing and what that means, and the ED-police gap the published mart reports must match
the gap the generator was configured with, within sampling error.

The generator is configured with a gap of 60% (not its 70% default, so a mart that merely reproduced a typical
figure would fail) and with more ED assaults per resident than real life, so the test needs only 10,000 people.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Final

import polars as pl
import pytest

from publishing.disclosure_scan import MARTS_ZONE, DisclosureRule, scan_published
from publishing.report import REPORT_PATH, REPORTS_ZONE, write_report
from storage import Store
from synth.config import PrevalenceConfig, SynthConfig
from tests.integration.publishing.synthetic_pipeline import (
    ORACLE_MODEL_VERSION,
    SyntheticArea,
    build_warehouse,
    deliver,
    generate_area,
    open_home,
    publish_all,
    write_oracle_person_index,
)

DELIVERED: Final = ("police", "health")
CONFIGURED_GAP: Final = 0.60
SYNTH: Final = SynthConfig(
    people=10_000,
    seed=20261122,
    months=12,
    prevalence=PrevalenceConfig(ed_assault_per_1000=40.0, ed_police_gap=CONFIGURED_GAP),
)


@pytest.fixture(scope="module")
def area(tmp_path_factory: pytest.TempPathFactory) -> SyntheticArea:
    return generate_area(tmp_path_factory.mktemp("synthetic") / "area", SYNTH)


@pytest.fixture(scope="module")
def store(area: SyntheticArea, project_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    """Police and ED files ingested, linked by the oracle, built with every dbt test, published and reported."""
    root = tmp_path_factory.mktemp("partners-join")
    store = open_home(root / "home")
    outcomes = deliver(store, area, DELIVERED)
    assert {outcome.status.value for outcome in outcomes} == {"loaded"}
    assert write_oracle_person_index(store, area) > 0
    home = build_warehouse(project_dir, store, root / "dbt")  # raises with dbt's output if any test fails
    publish_all(store, home.target)
    write_report(store, project_dir)
    return store


def published(store: Store, mart: str) -> pl.DataFrame:
    """A mart as a commissioner downloads it: the published CSV."""
    return pl.read_csv(io.BytesIO(store.read_bytes(MARTS_ZONE, f"{mart}.csv")), infer_schema_length=None)


def test_every_mart_builds_and_is_published(store: Store, project_dir: Path) -> None:
    marts = sorted(path.stem for path in (project_dir / "models" / "marts").rglob("mart_*.sql"))
    assert len(marts) == 11
    for mart in marts:
        for suffix in (".csv", ".xlsx", ".manifest.json"):
            assert store.exists(MARTS_ZONE, f"{mart}{suffix}"), f"{mart}{suffix}"
    # Person-level marts have rows: the police and the ED alone already link people.
    for mart in (
        "mart_factor_prevalence_by_area_age_sex",
        "mart_agency_cohort_overlap",
        "mart_violence_pathways_prior_factors",
        "mart_ed_police_gap_summary",
    ):
        assert published(store, mart).height > 0, mart


def test_feed_status_names_the_partners_that_have_not_joined(store: Store) -> None:
    status = dict(published(store, "mart_feed_status").select("feed", "feed_status").iter_rows())
    assert status == {
        "police_occurrences": "current",
        "police_nominals": "current",
        "ed_attendances": "current",
        "ed_assaults": "current",
        "probation_caseload": "missing",
        "education_census": "missing",
        "education_exclusions": "missing",
    }
    quality = published(store, "mart_data_quality_by_partner_period")
    assert set(quality.filter(pl.col("partner") == "probation").get_column("delivery_status")) == {
        "not delivered"
    }


def test_report_says_which_feeds_are_missing_and_what_that_means(store: Store) -> None:
    html = store.read_text(REPORTS_ZONE, REPORT_PATH)
    assert (
        "Not delivered: Education census and attendance (Education); Suspensions and permanent exclusions "
        "(Education); Probation caseload (Probation)." in html
    )
    # Factors only probation evidences are named as invisible, for the factor and pathway figures.
    assert (
        html.count(
            "Probation caseload has not been delivered: these factors cannot be seen at all: "
            "R06 Thinking &amp; behaviour / pro-criminal attitudes; R18 Not in education"
        )
        == 2
    )
    assert "so combinations including Probation are too low" in html
    # Figures that need only the police and the ED carry no warning about the missing partners.
    gap_section = html.split('<section id="gap">')[1].split("</section>")[0]
    assert 'class="warning"' not in gap_section
    assert "were not known to the police within 30 days" in gap_section


def test_published_gap_matches_the_configured_gap_within_sampling_error(
    store: Store, area: SyntheticArea
) -> None:
    gap = (
        published(store, "mart_ed_police_gap_summary").filter(pl.col("breakdown") == "all").row(0, named=True)
    )
    assert gap["linkage_model_version"] == ORACLE_MODEL_VERSION
    linked = gap["known_to_police"] + gap["not_known_to_police"]
    reported = gap["pct_not_known_to_police"] / 100

    # Binomial sampling error of a share among `linked` attendances, plus what rounding each published count to 5
    # can move the share by (the mart computes it from published counts).
    sampling = 3 * math.sqrt(CONFIGURED_GAP * (1 - CONFIGURED_GAP) / linked)
    rounding = 5 / linked
    assert linked >= 200, linked
    assert abs(reported - CONFIGURED_GAP) <= sampling + rounding, (reported, CONFIGURED_GAP, linked)
    # With perfect (oracle) linkage the mart measures what the generator realised, up to rounding and the few rows
    # ingestion rejects as invalid.
    assert abs(reported - area.realised_gap) <= rounding + 0.02, (reported, area.realised_gap)


def test_nothing_published_is_unsafe(store: Store, project_dir: Path) -> None:
    report = scan_published(store, DisclosureRule.from_dbt_project(project_dir))
    assert report.ok, report.summary()
    assert len(report.tables_scanned) == 33
