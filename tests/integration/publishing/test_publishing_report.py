"""The JSNA report: written from the published marts, self-contained, honest about missing feeds, and wired into
Dagster (asset + blocking disclosure check) and the CLI.

The scenario (see tests/integration/dbt/lake_scenario.py) has police, ED and probation data and no education data,
so the report must say that education is missing and what that means for the factor figures.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import altair as alt
import dagster as dg
import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from publishing.disclosure_scan import MARTS_ZONE
from publishing.report import REPORT_PATH, REPORTS_ZONE, TEMPLATES, VENDOR_SCRIPTS
from storage import StorageSettings, Store, open_store
from tests.azurite import AzuriteInfo, azurite_settings

HEADINGS = (
    "Serious violence: joint strategic needs assessment",
    "Data sources: what is missing or out of date",
    "Trends: violence month by month",
    "Area ranking",
    "Who is affected: age band",
    "The ED-police gap",
    "Risk and protective factors",
    "Which agencies know the people affected",
    "What comes before violence",
    "Hotspots in time",
    "Data quality by partner",
    "About these figures",
)


@pytest.fixture(scope="module")
def report_html(scenario_store: Store) -> str:
    return scenario_store.read_text(REPORTS_ZONE, REPORT_PATH)


@pytest.fixture
def copy_of(scenario_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """A private copy of the published scenario, and the process environment pointed at it (as an operator would)."""
    home = tmp_path / "home"
    shutil.copytree(scenario_store.settings.home, home)
    for variable in ("VRLAKE_STORAGE_BACKEND", "VRLAKE_AZURE_CONNECTION_STRING", "VRLAKE_AZURE_ACCOUNT_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("VRLAKE_HOME", str(home))
    return open_store(StorageSettings(backend="local", home=home))


def plant_unsafe_cell(store: Store) -> None:
    uri = store.delta_uri("mart_violence_by_area_month", zone=MARTS_ZONE)
    frame = pl.read_delta(uri, storage_options=store.delta_storage_options() or None)
    frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(3)
        .otherwise(pl.col("violence_count"))
        .alias("violence_count"),
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit("3"))
        .otherwise(pl.col("violence_count_display"))
        .alias("violence_count_display"),
    ).write_delta(uri, mode="overwrite", storage_options=store.delta_storage_options() or None)


def test_report_has_every_section(report_html: str) -> None:
    for heading in HEADINGS:
        assert heading in report_html, heading
    assert len(re.findall(r'<figure class="chart"', report_html)) == 9


def test_report_says_which_feeds_are_missing_and_what_that_means(report_html: str) -> None:
    assert (
        "Not delivered: Education census and attendance (Education); Suspensions and permanent exclusions"
        in (report_html)
    )
    # Factors evidenced only by education cannot be seen; those with other sources are undercounted.
    assert (
        "Education census and attendance has not been delivered: these factors cannot be seen at all: "
        in (report_html)
    )
    assert "R07 Special educational needs (esp. SEMH)" in report_html
    assert "R11 Child in need / child protection plan / looked after" in report_html
    # R15 deprivation is also seen through any partner's address (IMD decile): undercounted, not invisible.
    assert "these are undercounted: R15" in report_html
    # The agency-overlap figure explains the missing partner too.
    assert "combinations including Education are too low" in report_html


def test_report_shows_the_published_gap(report_html: str, scenario_store: Store) -> None:
    summary = pl.read_delta(scenario_store.delta_uri("mart_ed_police_gap_summary", zone=MARTS_ZONE))
    overall = summary.filter(pl.col("breakdown") == "all").row(0, named=True)
    assert (overall["pct_not_known_to_police"], overall["ed_assault_attendances_display"]) == (50.0, "20")
    assert "50.0% of 20 ED assault attendances were not known to the police within 30 days" in report_html


def test_report_is_self_contained(report_html: str) -> None:
    """Opened offline (from the reports zone, an email, a USB stick) it needs nothing from a network."""
    assert not re.search(r"<script[^>]+src=", report_html)
    assert not re.search(r"<link[^>]+href=", report_html)
    assert "@import" not in report_html
    for path in VENDOR_SCRIPTS:
        assert (Path(__file__).parents[3] / "publishing" / "templates" / path).read_text("utf-8")[
            :200
        ] in report_html


@pytest.mark.parametrize(
    ("path", "version_pattern", "altair_version"),
    [
        ("vendor/vega.min.js", r't\.version="(\d+)\.', alt.VEGA_VERSION),
        ("vendor/vega-lite.min.js", r'var n="(\d+)\.', alt.VEGALITE_VERSION),
        ("vendor/vega-embed.min.js", r'const [a-zA-Z]+="(\d+)\.\d+\.\d+",', alt.VEGAEMBED_VERSION),
    ],
)
def test_vendored_chart_libraries_match_the_versions_altair_writes_for(
    path: str, version_pattern: str, altair_version: str
) -> None:
    """Altair writes specs for one Vega-Lite major; the inlined renderer must implement that major."""
    from importlib import resources

    source = resources.files(TEMPLATES).joinpath(path).read_text("utf-8")
    match = re.search(version_pattern, source)
    assert match, f"no version string in {path}"
    assert match.group(1) == altair_version.lstrip("v").split(".")[0]


def test_dagster_report_asset_and_disclosure_check(copy_of: Store) -> None:
    from orchestration.defs.publishing.report import (
        DISCLOSURE_CHECK,
        REPORT_KEY,
        report_assets,
        report_checks,
    )
    from orchestration.defs.resources import VrlakeResource

    copy_of.delete(REPORTS_ZONE, REPORT_PATH)
    result = dg.materialize(
        [*report_assets, *report_checks], resources={"vrlake": VrlakeResource()}, raise_on_error=False
    )

    assert result.success
    (materialization,) = [
        event.materialization
        for event in result.get_asset_materialization_events()
        if event.materialization.asset_key == REPORT_KEY
    ]
    metadata = materialization.metadata
    assert metadata["charts"].value == 9
    assert metadata["missing_feeds"].value == "education_census, education_exclusions"
    assert copy_of.exists(REPORTS_ZONE, REPORT_PATH)
    (evaluation,) = result.get_asset_check_evaluations()
    assert (evaluation.asset_key, evaluation.check_name, evaluation.passed) == (
        REPORT_KEY,
        DISCLOSURE_CHECK,
        True,
    )

    plant_unsafe_cell(copy_of)
    result = dg.materialize(
        [*report_assets, *report_checks], resources={"vrlake": VrlakeResource()}, raise_on_error=False
    )

    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.passed is False
    assert evaluation.metadata["unsafe_cells"].value == 2
    assert "mart_violence_by_area_month (Delta)" in evaluation.metadata["first_unsafe_cells"].value


def test_report_command_regenerates_the_report_and_fails_on_an_unsafe_cell(
    copy_of: Store, tmp_path: Path
) -> None:
    from vrlake.commands import report

    app = typer.Typer()
    app.command()(report.command)
    copy_of.delete(REPORTS_ZONE, REPORT_PATH)

    result = CliRunner().invoke(app, ["--out", str(tmp_path / "jsna.html")])

    assert result.exit_code == 0, result.output
    assert "wrote reports/jsna_report.html (9 charts)" in result.output
    assert "No unsafe count in 33 published tables" in result.output
    assert (tmp_path / "jsna.html").read_bytes() == copy_of.read_bytes(REPORTS_ZONE, REPORT_PATH)

    plant_unsafe_cell(copy_of)
    result = CliRunner().invoke(app, [])

    assert result.exit_code == 1
    assert "unsafe published cells" in result.output
    assert "mart_violence_by_area_month (Delta): column 'violence_count', row 1" in result.output


def test_report_before_anything_is_published_says_so(tmp_path: Path, project_dir: Path) -> None:
    """A fresh installation: no feed delivered, no mart published. The report still renders and says why it is
    empty instead of failing the refresh."""
    from publishing.report import write_report
    from tests.integration.publishing.synthetic_pipeline import open_home

    store = open_home(tmp_path / "home")

    result = write_report(store, project_dir)

    assert (result.charts, len(result.missing_feeds), len(result.unavailable_figures)) == (0, 7, 9)
    html = store.read_text(REPORTS_ZONE, REPORT_PATH)
    assert "Not published yet: mart_violence_by_area_month" in html
    assert html.count("Never delivered: nothing from this feed is in any figure.") == 7


@pytest.mark.azurite
def test_report_and_scan_read_and_write_azure_blob_storage(
    scenario_store: Store, project_dir: Path, tmp_path: Path, azurite: AzuriteInfo
) -> None:
    """The marts zone and the reports zone as Azure containers (Azurite): the same report, the same scan, and a
    planted unsafe cell is still caught."""
    from publishing.disclosure_scan import DisclosureRule, scan_published
    from publishing.report import write_report

    store = open_store(azurite_settings(azurite, tmp_path / "home"))
    store.ensure_zones()
    for info in scenario_store.list(MARTS_ZONE):
        if "/" not in info.path:  # CSV, XLSX and manifests; Delta tables are copied through deltalake below
            with scenario_store.local_file(MARTS_ZONE, info.path) as local:
                store.upload_file(MARTS_ZONE, info.path, local)
    for name in {info.path.split("/")[0] for info in scenario_store.list(MARTS_ZONE) if "/" in info.path}:
        pl.read_delta(scenario_store.delta_uri(name, zone=MARTS_ZONE)).write_delta(
            store.delta_uri(name, zone=MARTS_ZONE), storage_options=store.delta_storage_options()
        )

    result = write_report(store, project_dir)
    report = scan_published(store, DisclosureRule.from_dbt_project(project_dir))

    assert result.charts == 9
    assert store.read_text(REPORTS_ZONE, REPORT_PATH) == scenario_store.read_text(
        REPORTS_ZONE, REPORT_PATH
    ).replace(_generated_line(scenario_store), _generated_line(store))
    assert report.ok and len(report.tables_scanned) == 33, report.summary()

    plant_unsafe_cell(store)
    assert not scan_published(store, DisclosureRule.from_dbt_project(project_dir)).ok


def _generated_line(store: Store) -> str:
    return re.search(r"<p>Generated [^<]*", store.read_text(REPORTS_ZONE, REPORT_PATH)).group(0)  # type: ignore[union-attr]


def test_figure_warnings_for_stale_and_missing_feeds(project_dir: Path) -> None:
    """Stale feeds are named with their last period; a figure that would mislead without a feed is withheld."""
    from publishing.report import FeedStatus, feed_warnings, read_catalogue

    catalogue = read_catalogue(project_dir)
    statuses = [
        FeedStatus("police_occurrences", "police", "Police recorded occurrences", "stale", "2026-07", ""),
        FeedStatus("police_nominals", "police", "Police nominals in occurrences", "missing", None, ""),
        FeedStatus(
            "ed_attendances", "health", "Emergency department attendances (ECDS)", "current", "2026-10", ""
        ),
        FeedStatus("ed_assaults", "health", "ED assault attendances (ISTV)", "current", "2026-10", ""),
    ]

    trend, trend_withheld = feed_warnings("trend", statuses, catalogue)
    gap, gap_withheld = feed_warnings("gap", statuses, catalogue)

    assert trend == [
        "Police recorded occurrences was last delivered for 2026-07: figures for later months do not include it."
    ]
    assert not trend_withheld
    assert gap_withheld
    assert gap[0] == (
        "Police nominals in occurrences has not been delivered: no police victim can be matched, so every attendance "
        "would look unknown to the police."
    )
