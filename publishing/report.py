"""The joint strategic needs assessment (JSNA) report: one self-contained HTML page for commissioners and the VRU.

It is regenerated on every refresh from the *published* marts only (the Delta tables in the ``marts`` zone, which
carry disclosure control), so it can show nothing a commissioner could not already download. It never reads the
warehouse or the lake.

Contents: where the data comes from and which feeds are missing or stale (and what that means for each figure),
trends, area ranking, violence by age band, the ED-police gap, risk and protective factors among people affected by
violence against the resident population, agency overlap, factors before a first violence event, hotspots in time,
data quality, and plain-English notes on suppression.

Charts are Altair (Vega-Lite) specifications rendered in the browser by Vega, whose JavaScript is inlined from
``publishing/templates/vendor/`` (see its README): the file renders with no network access. Each chart's figure
element gets ``data-rendered="true"`` once drawn, or ``"error"`` with a message in place of the chart.

Guarantees: read-only on the marts zone; writes only ``reports/jsna_report.html``; every number shown is a
published (disclosure-controlled) value or a percentage computed by dbt from published values.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final

import jinja2
import polars as pl

from publishing.disclosure_scan import MARTS_ZONE, DisclosureRule
from storage import Store

log = logging.getLogger(__name__)

REPORTS_ZONE: Final = "reports"
REPORT_PATH: Final = "jsna_report.html"
TEMPLATES: Final = "publishing.templates"
TEMPLATE: Final = "jsna_report.html.j2"
VENDOR_SCRIPTS: Final = ("vendor/vega.min.js", "vendor/vega-lite.min.js", "vendor/vega-embed.min.js")
FACTOR_CATALOGUE: Final = Path("seeds") / "risk_protective_factors.csv"
FEED_CATALOGUE: Final = Path("seeds") / "feeds.csv"

SOURCE_LABELS: Final = {"police": "Police-recorded violence", "ed_istv": "ED assault attendances (ISTV)"}
PARTNER_LABELS: Final = {
    "police": "Police",
    "probation": "Probation",
    "education": "Education",
    "health": "NHS ED",
}
PERSON_FEEDS: Final = (
    "police_nominals",
    "police_occurrences",
    "probation_caseload",
    "education_census",
    "education_exclusions",
    "ed_attendances",
)
MARTS: Final = (
    "mart_violence_by_area_month",
    "mart_violence_by_area_year",
    "mart_violence_by_area_age_sex_month",
    "mart_ed_assaults_known_to_police_by_month",
    "mart_ed_police_gap_summary",
    "mart_factor_prevalence_by_area_age_sex",
    "mart_agency_cohort_overlap",
    "mart_violence_pathways_prior_factors",
    "mart_violence_hotspots_by_time_of_week",
    "mart_data_quality_by_partner_period",
    "mart_feed_status",
)

# What each figure loses without a feed. Feeds marked critical make the figure misleading, so it is withheld.
AREA_FEEDS: Final = {
    "police_occurrences": "the police series is absent",
    "ed_assaults": "the ED (ISTV) series is absent, so violence never reported to the police is not shown",
}
FIGURE_FEEDS: Final[dict[str, dict[str, str]]] = {
    "trend": AREA_FEEDS,
    "ranking": AREA_FEEDS,
    "hotspots": AREA_FEEDS,
    "age": {
        **AREA_FEEDS,
        "police_nominals": "police victims' ages and sexes are unknown, so the police series is empty",
    },
    "gap": {
        "ed_attendances": "there are no ED assault attendances to compare",
        "police_nominals": "no police victim can be matched, so every attendance would look unknown to the police",
        "police_occurrences": "no police violence can be matched, so every attendance would look unknown to the police",
    },
    # Empty: the consequence depends on which factors (or which agency) the feed evidences, worked out per report.
    "factors": {feed: "" for feed in PERSON_FEEDS},
    "overlap": {feed: "" for feed in PERSON_FEEDS},
    "pathways": {feed: "" for feed in PERSON_FEEDS},
}
CRITICAL_FEEDS: Final = {"gap": {"ed_attendances", "police_nominals", "police_occurrences"}}


@dataclass(frozen=True)
class FeedStatus:
    """One partner feed as the report describes it (from mart_feed_status)."""

    feed: str
    partner: str
    title: str
    status: str
    last_period: str | None
    note: str


@dataclass
class Figure:
    """One section of the report: a chart (Vega-Lite spec) and/or a table, with notes in plain English."""

    key: str
    title: str
    lead: str
    spec: dict[str, Any] | None = None
    table: list[dict[str, Any]] | None = None
    table_columns: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data_warnings: list[str] = field(default_factory=list)
    unavailable: str | None = None

    @property
    def chart_id(self) -> str:
        return f"chart-{self.key}"


@dataclass(frozen=True)
class ReportResult:
    """What was written and what the report says is missing (for Dagster metadata and the CLI)."""

    path: str
    generated_at: dt.datetime
    figures: list[str]
    charts: int
    missing_feeds: list[str]
    stale_feeds: list[str]
    unavailable_figures: list[str]
    bytes_written: int


# --- reading ---------------------------------------------------------------------------------------------------


def read_published_marts(store: Store, names: Sequence[str] = MARTS) -> dict[str, pl.DataFrame]:
    """The published Delta tables that exist in the marts zone (a mart not yet published is simply absent)."""
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    marts: dict[str, pl.DataFrame] = {}
    options = store.delta_storage_options() or None
    for name in names:
        uri = store.delta_uri(name, zone=MARTS_ZONE)
        try:
            DeltaTable(uri, storage_options=options)
        except TableNotFoundError:
            log.info("mart %s is not published yet", name)
            continue
        marts[name] = pl.read_delta(uri, storage_options=options)
    return marts


def read_catalogue(project_dir: Path) -> list[dict[str, str]]:
    """The factor catalogue (dbt seed): definitions and data-quality caveats are code, not data."""
    with (project_dir / FACTOR_CATALOGUE).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_feed_catalogue(project_dir: Path) -> list[dict[str, str]]:
    with (project_dir / FEED_CATALOGUE).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --- feeds -----------------------------------------------------------------------------------------------------


def feed_statuses(
    marts: Mapping[str, pl.DataFrame], feed_catalogue: Sequence[Mapping[str, str]]
) -> list[FeedStatus]:
    """Every feed's status from mart_feed_status; feeds it does not list (or no mart at all) count as missing."""
    published = {}
    if "mart_feed_status" in marts:
        published = {row["feed"]: row for row in marts["mart_feed_status"].iter_rows(named=True)}
    statuses = []
    for entry in feed_catalogue:
        row = published.get(entry["feed"])
        if row is None:
            statuses.append(
                FeedStatus(
                    entry["feed"],
                    entry["partner"],
                    entry["title"],
                    "missing",
                    None,
                    "Never delivered: nothing from this feed is in any figure.",
                )
            )
        else:
            statuses.append(
                FeedStatus(
                    row["feed"],
                    row["partner"],
                    row["feed_title"],
                    row["feed_status"],
                    row["last_period"],
                    row["status_note"],
                )
            )
    return statuses


def feed_warnings(
    figure: str, statuses: Sequence[FeedStatus], catalogue: Sequence[Mapping[str, str]]
) -> tuple[list[str], bool]:
    """Plain-English warnings for one figure about its missing or stale feeds, and whether to withhold it."""
    needs = FIGURE_FEEDS.get(figure, {})
    by_feed = {status.feed: status for status in statuses}
    absent = {feed for feed in needs if by_feed.get(feed) is None or by_feed[feed].status == "missing"}
    stale = {feed for feed in needs if feed in by_feed and by_feed[feed].status == "stale"}
    warnings: list[str] = []
    for feed in sorted(absent):
        title = by_feed[feed].title if feed in by_feed else feed
        partner = by_feed[feed].partner if feed in by_feed else ""
        consequence = needs[feed] or _person_feed_consequence(figure, feed, partner, absent, catalogue)
        warnings.append(f"{title} has not been delivered: {consequence}.")
    for feed in sorted(stale):
        status = by_feed[feed]
        warnings.append(
            f"{status.title} was last delivered for {status.last_period}: figures for later months do not include it."
        )
    withhold = bool(absent & CRITICAL_FEEDS.get(figure, set()))
    return warnings, withhold


def _person_feed_consequence(
    figure: str, feed: str, partner_code: str, absent: set[str], catalogue: Sequence[Mapping[str, str]]
) -> str:
    """What a missing person feed means: for the overlap, which agency goes missing; for factor figures, which
    factors vanish (every evidencing feed missing) and which are undercounted (another feed still evidences them)."""
    partner = PARTNER_LABELS.get(partner_code, "this partner")
    if figure == "overlap":
        return f"no one can appear as known to {partner} through it, so combinations including {partner} are too low"
    relevant = [row for row in catalogue if row["is_evidenced"] == "true" and feed in _evidencing_feeds(row)]
    # A factor seen through reference data (IMD decile, hotspots) uses any partner's address, so it never vanishes.
    unseen = [
        row
        for row in relevant
        if not any(source.startswith("reference_") for source in _evidencing_feeds(row))
        and _evidencing_feeds(row) <= absent
    ]
    unseen_text = [f"{row['factor_code']} {row['factor_name']}" for row in unseen]
    partial = [row["factor_code"] for row in relevant if row not in unseen]
    parts = []
    if unseen_text:
        parts.append("these factors cannot be seen at all: " + "; ".join(unseen_text))
    if partial:
        parts.append("these are undercounted: " + ", ".join(partial))
    return ", and ".join(parts) if parts else "people it would link are missing"


def _evidencing_feeds(row: Mapping[str, str]) -> set[str]:
    return set(row["evidencing_feeds"].split(";"))


# --- figures ---------------------------------------------------------------------------------------------------


def _latest(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    if frame.is_empty():
        return frame
    return frame.filter(pl.col(column) == frame.get_column(column).max())


def _records(frame: pl.DataFrame) -> pl.DataFrame:
    """Dates as ISO text so the chart specification is plain JSON."""
    return frame.with_columns(
        pl.col(c).cast(pl.String) for c, t in frame.schema.items() if t in (pl.Date, pl.Datetime)
    )


def _base_config(chart: Any) -> Any:
    return (
        chart.configure_view(stroke=None)
        .configure_axis(labelFontSize=11, titleFontSize=12)
        .configure_legend(orient="bottom", labelLimit=320)
    )


def trend_figure(marts: Mapping[str, pl.DataFrame]) -> Figure:
    import altair as alt

    figure = Figure(
        "trend",
        "Trends: violence month by month",
        "Violent events each month across the whole partnership area, from the police and from the emergency "
        "departments (ISTV). The two sources overlap (an assault can be in both) and are shown side by side, never "
        "added.",
    )
    frame = marts.get("mart_violence_by_area_month")
    if frame is None or frame.is_empty():
        figure.unavailable = "No violence has been published yet."
        return figure
    data = _records(
        frame.filter(pl.col("geography_level") == "vru")
        .with_columns(pl.col("source_agency").replace(SOURCE_LABELS).alias("source"))
        .select("period", "source", "violence_count", "violence_count_display", "violence_rate_per_1000")
        .sort("period")
    )
    chart = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("period:O", title="Month"),
            y=alt.Y("violence_count:Q", title="Violent events (rounded to 5)"),
            color=alt.Color("source:N", title=None),
            tooltip=[
                "period",
                "source",
                alt.Tooltip("violence_count_display", title="events"),
                alt.Tooltip("violence_rate_per_1000", title="per 1,000 residents"),
            ],
        )
        .properties(width=680, height=260)
    )
    figure.spec = _base_config(chart).to_dict()
    suppressed = data.filter(pl.col("violence_count").is_null()).height
    if suppressed:
        figure.notes.append(
            f"Suppressed monthly values (fewer than 8 events): {suppressed}. They appear as gaps in the lines."
        )
    return figure


def ranking_figure(marts: Mapping[str, pl.DataFrame]) -> Figure:
    import altair as alt

    figure = Figure(
        "ranking",
        "Area ranking",
        "Wards ranked by violent events per 1,000 residents in the latest observation period. The rate uses the "
        "published (rounded) count; wards whose count is suppressed have no rate and are not ranked.",
    )
    frame = marts.get("mart_violence_by_area_year")
    if frame is None or frame.is_empty():
        figure.unavailable = "No violence has been published yet."
        return figure
    latest = _latest(frame, "observation_period_start")
    level = (
        "ward"
        if latest.filter(pl.col("geography_level") == "ward").get_column("area_code").n_unique() > 1
        else "lsoa"
    )
    areas = latest.filter(pl.col("geography_level") == level)
    period = areas.get_column("observation_period")[0]
    coverage = areas.group_by("source_agency").agg(pl.col("coverage_months").max()).sort("source_agency")
    top = (
        areas.filter(pl.col("source_agency") == "police")
        .sort("rate_rank", "area_code", nulls_last=True)
        .head(15)
        .get_column("area_code")
        .to_list()
    )
    data = _records(
        areas.filter(pl.col("area_code").is_in(top))
        .with_columns(pl.col("source_agency").replace(SOURCE_LABELS).alias("source"))
        .select("area_name", "source", "violence_rate_per_1000", "violence_count_display", "rate_rank")
    )
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y(
                "area_name:N",
                title=None,
                sort=alt.EncodingSortField("violence_rate_per_1000", op="max", order="descending"),
            ),
            x=alt.X("violence_rate_per_1000:Q", title=f"Violent events per 1,000 residents, {period}"),
            color=alt.Color("source:N", title=None),
            yOffset="source:N",
            tooltip=[
                "area_name",
                "source",
                alt.Tooltip("violence_count_display", title="events"),
                alt.Tooltip("violence_rate_per_1000", title="per 1,000"),
                alt.Tooltip("rate_rank", title="rank"),
            ],
        )
        .properties(width=560)
    )
    figure.spec = _base_config(chart).to_dict()
    table = areas.filter(pl.col("area_code").is_in(top[:10])).pivot(
        on="source_agency",
        index=["area_name", "area_code"],
        values=["violence_count_display", "violence_rate_per_1000", "rate_rank"],
    )
    order = ["rate_rank_police", "area_code"] if "rate_rank_police" in table.columns else ["area_code"]
    figure.table = table.sort(order, nulls_last=True).to_dicts()
    figure.table_columns = [
        ("area_name", "Area"),
        ("area_code", "Code"),
        ("violence_count_display_police", "Police events"),
        ("violence_rate_per_1000_police", "Police per 1,000"),
        ("rate_rank_police", "Police rank"),
        ("violence_count_display_ed_istv", "ED events"),
        ("violence_rate_per_1000_ed_istv", "ED per 1,000"),
    ]
    for row in coverage.iter_rows(named=True):
        if row["coverage_months"] < 12:
            figure.notes.append(
                f"{SOURCE_LABELS.get(row['source_agency'], row['source_agency'])}: {period} covers "
                f"{row['coverage_months']} months of data so far; compare areas, not this period with earlier ones."
            )
    return figure


def age_figure(marts: Mapping[str, pl.DataFrame]) -> Figure:
    import altair as alt

    figure = Figure(
        "age",
        "Who is affected: age band",
        "Victims of police-recorded violence and ED assault attendances per 1,000 residents of each age band, month "
        "by month, for the whole area. Blank cells are suppressed.",
    )
    frame = marts.get("mart_violence_by_area_age_sex_month")
    if frame is None or frame.is_empty():
        figure.unavailable = "No violence by age has been published yet."
        return figure
    data = _records(
        frame.filter(
            (pl.col("geography_level") == "vru") & (pl.col("sex") == "all") & (pl.col("age_band") != "all")
        )
        .with_columns(pl.col("source_agency").replace(SOURCE_LABELS).alias("source"))
        .select(
            "period", "source", "age_band", "age_band_order", "victim_rate_per_1000", "victim_count_display"
        )
    )
    chart = (
        alt.Chart(data)
        .mark_rect()
        .encode(
            x=alt.X("period:O", title="Month"),
            y=alt.Y("age_band:N", title="Age band", sort=alt.EncodingSortField("age_band_order")),
            color=alt.Color("victim_rate_per_1000:Q", title="per 1,000", scale=alt.Scale(scheme="orangered")),
            tooltip=[
                "period",
                "age_band",
                "source",
                alt.Tooltip("victim_count_display", title="people"),
                alt.Tooltip("victim_rate_per_1000", title="per 1,000"),
            ],
        )
        .properties(width=300, height=200)
        .facet(column=alt.Column("source:N", title=None))
    )
    figure.spec = _base_config(chart).to_dict()
    return figure


def gap_figure(marts: Mapping[str, pl.DataFrame]) -> Figure:
    import altair as alt

    figure = Figure(
        "gap",
        "The ED-police gap",
        "Of the people treated in the emergency department for an assault, the share the police have no record of as "
        "a victim of violence around the same time. Published studies find 60% to 80%.",
    )
    summary = marts.get("mart_ed_police_gap_summary")
    monthly = marts.get("mart_ed_assaults_known_to_police_by_month")
    if summary is None or summary.is_empty():
        figure.unavailable = (
            "Not available yet: the gap needs ED attendances linked to police records, and the linkage has not "
            "produced results."
        )
        return figure
    overall = summary.filter(pl.col("breakdown") == "all").row(0, named=True)
    window = overall["match_window_days"]
    if overall["pct_not_known_to_police"] is None:
        figure.lead += " The overall share is withheld because its count is suppressed."
    else:
        figure.lead += (
            f" Across {overall['first_period']} to {overall['last_period']}: "
            f"{overall['pct_not_known_to_police']:.1f}% of {overall['ed_assault_attendances_display']} ED assault "
            f"attendances were not known to the police within {window} days."
        )
    by_age = _records(
        summary.filter(pl.col("breakdown") == "age_band").select(
            "group_value", "group_order", "pct_not_known_to_police", "ed_assault_attendances_display"
        )
    )
    bars = (
        alt.Chart(by_age)
        .mark_bar(color="#b03a2e")
        .encode(
            x=alt.X("group_value:N", title="Age band", sort=alt.EncodingSortField("group_order")),
            y=alt.Y(
                "pct_not_known_to_police:Q",
                title="% not known to the police",
                scale=alt.Scale(domain=[0, 100]),
            ),
            tooltip=[
                alt.Tooltip("group_value", title="age band"),
                alt.Tooltip("pct_not_known_to_police", title="% not known"),
                alt.Tooltip("ed_assault_attendances_display", title="attendances"),
            ],
        )
        .properties(width=300, height=220, title="By age band")
    )
    band = (
        alt.Chart(pl.DataFrame({"low": [60], "high": [80]}))
        .mark_rect(opacity=0.12, color="#555")
        .encode(y="low:Q", y2="high:Q")
    )
    charts = [band + bars]
    if monthly is not None and not monthly.is_empty():
        long = _records(
            monthly.select("period", "known_to_police", "not_known_to_police")
            .unpivot(index="period", variable_name="status", value_name="attendances")
            .with_columns(
                pl.col("status").replace(
                    {
                        "known_to_police": "known to the police",
                        "not_known_to_police": "not known to the police",
                    }
                )
            )
        )
        charts.append(
            alt.Chart(long)
            .mark_bar()
            .encode(
                x=alt.X("period:O", title="Month of ED arrival"),
                y=alt.Y("attendances:Q", title="Linked ED assault attendances (rounded)", stack=True),
                color=alt.Color("status:N", title=None, scale=alt.Scale(range=["#1f77b4", "#b03a2e"])),
                tooltip=["period", "status", "attendances"],
            )
            .properties(width=340, height=220, title="Month by month")
        )
    figure.spec = _base_config(alt.hconcat(*charts)).to_dict()
    figure.notes.append(
        f"Known to the police: the same linked person is recorded by the police as a victim of a violence occurrence "
        f"within {window} days of the injury. Attendances not yet linked are left out of the percentage."
    )
    if overall.get("linkage_model_version"):
        figure.notes.append(f"Linkage model: {overall['linkage_model_version']}.")
    return figure


def factors_figure(marts: Mapping[str, pl.DataFrame], catalogue: Sequence[Mapping[str, str]]) -> Figure:
    import altair as alt

    figure = Figure(
        "factors",
        "Risk and protective factors",
        "For each factor in the shared catalogue: the share of people affected by violence (victims, suspects, "
        "offenders, ED assault attendees) with it in the latest observation period, beside the share of the whole "
        "resident population the agencies have recorded with it. A ratio above 1 means the factor is more common "
        "among people affected by violence.",
    )
    frame = marts.get("mart_factor_prevalence_by_area_age_sex")
    if frame is None or frame.is_empty():
        figure.unavailable = "Not available yet: factor prevalence needs linked person records."
        return figure
    latest = (
        _latest(frame, "observation_period_start")
        .filter(
            (pl.col("geography_level") == "vru") & (pl.col("age_band") == "all") & (pl.col("sex") == "all")
        )
        .sort("factor_order")
    )
    period = latest.get_column("observation_period")[0]
    labelled = latest.with_columns((pl.col("factor_code") + " " + pl.col("factor_name")).alias("factor"))
    long = _records(
        labelled.select("factor", "factor_order", "pct_affected_with_factor", "pct_population_with_factor")
        .unpivot(index=["factor", "factor_order"], variable_name="group", value_name="percent")
        .with_columns(
            pl.col("group").replace(
                {
                    "pct_affected_with_factor": "People affected by violence",
                    "pct_population_with_factor": "Resident population",
                }
            )
        )
    )
    chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("factor:N", title=None, sort=alt.EncodingSortField("factor_order")),
            x=alt.X("percent:Q", title=f"% with the factor, {period}"),
            color=alt.Color("group:N", title=None, scale=alt.Scale(range=["#b03a2e", "#7f8c8d"])),
            yOffset="group:N",
            tooltip=["factor", "group", alt.Tooltip("percent", title="%")],
        )
        .properties(width=520)
    )
    figure.spec = _base_config(chart).to_dict()
    caveats = {row["factor_code"]: row["data_quality_caveat"] for row in catalogue}
    figure.table = [
        {**row, "caveat": caveats.get(row["factor_code"], "")}
        for row in labelled.select(
            "factor",
            "factor_code",
            "affected_with_factor_display",
            "pct_affected_with_factor",
            "pct_population_with_factor",
            "prevalence_ratio",
        ).to_dicts()
    ]
    figure.table_columns = [
        ("factor", "Factor"),
        ("affected_with_factor_display", "Affected people with it"),
        ("pct_affected_with_factor", "% of affected"),
        ("pct_population_with_factor", "% of residents"),
        ("prevalence_ratio", "Ratio"),
        ("caveat", "What the data can miss"),
    ]
    not_derived = [
        f"{row['factor_code']} {row['factor_name']}" for row in catalogue if row["is_evidenced"] != "true"
    ]
    if not_derived:
        figure.notes.append(
            "Not evidenced by any shared feed yet, so not shown: " + "; ".join(not_derived) + "."
        )
    figure.notes.append(
        "Factors are seen only through the agencies that share data; shares of the resident population are minimums."
    )
    return figure


def overlap_figure(marts: Mapping[str, pl.DataFrame]) -> Figure:
    import altair as alt

    figure = Figure(
        "overlap",
        "Which agencies know the people affected",
        "People affected by violence in the latest observation period, by the exact combination of agencies that "
        "recorded them in that period. Each person is in one combination.",
    )
    frame = marts.get("mart_agency_cohort_overlap")
    if frame is None or frame.is_empty():
        figure.unavailable = "Not available yet: agency overlap needs linked person records."
        return figure
    latest = _latest(frame, "observation_period_start").filter(
        (pl.col("geography_level") == "vru") & (pl.col("cohort") == "affected_by_violence")
    )
    period = latest.get_column("observation_period")[0]
    data = _records(
        latest.filter(pl.col("people_display") != "0").select(
            "agency_combination", "people", "people_display", "pct_of_cohort"
        )
    )
    chart = (
        alt.Chart(data)
        .mark_bar(color="#2e86c1")
        .encode(
            y=alt.Y("agency_combination:N", title=None, sort="-x"),
            x=alt.X("people:Q", title=f"People affected by violence, {period} (rounded)"),
            tooltip=[
                alt.Tooltip("agency_combination", title="known to"),
                alt.Tooltip("people_display", title="people"),
                alt.Tooltip("pct_of_cohort", title="% of cohort"),
            ],
        )
        .properties(width=520)
    )
    figure.spec = _base_config(chart).to_dict()
    suppressed = data.filter(pl.col("people").is_null()).height
    if suppressed:
        figure.notes.append(f"{suppressed} combinations hold 1 to 7 people: suppressed, drawn without a bar.")
    return figure


def pathways_figure(marts: Mapping[str, pl.DataFrame]) -> Figure:
    import altair as alt

    figure = Figure(
        "pathways",
        "What comes before violence",
        "Of the people whose first violence event in the data is recorded, the share with each factor observed by any "
        "agency in the 12 months before it.",
    )
    frame = marts.get("mart_violence_pathways_prior_factors")
    if frame is None or frame.is_empty():
        figure.unavailable = "Not available yet: pathways need linked person records."
        return figure
    rows = frame.filter((pl.col("cohort") == "all") & (pl.col("age_band") == "all")).sort("factor_order")
    first = rows.row(0, named=True)
    data = _records(
        rows.with_columns((pl.col("factor_code") + " " + pl.col("factor_name")).alias("factor")).select(
            "factor", "factor_order", "pct_with_factor_before", "people_with_factor_before_display"
        )
    )
    chart = (
        alt.Chart(data)
        .mark_bar(color="#8e44ad")
        .encode(
            y=alt.Y("factor:N", title=None, sort=alt.EncodingSortField("factor_order")),
            x=alt.X(
                "pct_with_factor_before:Q",
                title="% with the factor in the year before their first violence event",
            ),
            tooltip=[
                "factor",
                alt.Tooltip("people_with_factor_before_display", title="people"),
                alt.Tooltip("pct_with_factor_before", title="%"),
            ],
        )
        .properties(width=520)
    )
    figure.spec = _base_config(chart).to_dict()
    figure.notes.append(
        f"{first['people_with_first_event_display']} people, first events from {first['first_event_from']} to "
        f"{first['first_event_to']}. The data starts on {first['data_start_date']}; only "
        f"{first['people_with_complete_lookback_display']} of them have a full {first['lookback_days']}-day look-back "
        "inside it, so these shares are minimums until the lake holds more history."
    )
    return figure


def hotspots_figure(marts: Mapping[str, pl.DataFrame]) -> Figure:
    import altair as alt

    figure = Figure(
        "hotspots",
        "Hotspots in time",
        "Share of the whole area's violent events in each day and time band of the week, latest observation period.",
    )
    frame = marts.get("mart_violence_hotspots_by_time_of_week")
    if frame is None or frame.is_empty():
        figure.unavailable = "No violence has been published yet."
        return figure
    data = _records(
        _latest(frame, "observation_period_start")
        .filter(pl.col("geography_level") == "vru")
        .with_columns(pl.col("source_agency").replace(SOURCE_LABELS).alias("source"))
        .select(
            "day_of_week",
            "day_order",
            "time_band",
            "time_band_order",
            "source",
            "pct_of_area_period",
            "violence_count_display",
        )
    )
    chart = (
        alt.Chart(data)
        .mark_rect()
        .encode(
            x=alt.X("day_of_week:N", title=None, sort=alt.EncodingSortField("day_order")),
            y=alt.Y("time_band:N", title="Time of day", sort=alt.EncodingSortField("time_band_order")),
            color=alt.Color("pct_of_area_period:Q", title="% of events", scale=alt.Scale(scheme="reds")),
            tooltip=[
                "day_of_week",
                "time_band",
                "source",
                alt.Tooltip("violence_count_display", title="events"),
                alt.Tooltip("pct_of_area_period", title="%"),
            ],
        )
        .properties(width=300, height=240)
        .facet(column=alt.Column("source:N", title=None))
    )
    figure.spec = _base_config(chart).to_dict()
    return figure


def quality_figure(marts: Mapping[str, pl.DataFrame]) -> Figure:
    import altair as alt

    figure = Figure(
        "quality",
        "Data quality by partner",
        "What each partner delivered each month, and how complete it was. Partners get the exact figures in their "
        "own feedback reports; here row counts are rounded like every published count.",
    )
    frame = marts.get("mart_data_quality_by_partner_period")
    if frame is None or frame.is_empty():
        figure.unavailable = "No deliveries recorded yet."
        return figure
    data = _records(
        frame.select(
            "feed_title", "partner", "period", "delivery_status", "rows_read_display", "mean_completeness_pct"
        )
    )
    statuses = ["loaded", "loaded with rejected rows", "duplicate only", "quarantined", "not delivered"]
    chart = (
        alt.Chart(data)
        .mark_rect(stroke="white")
        .encode(
            x=alt.X("period:O", title="Delivery period"),
            y=alt.Y("feed_title:N", title=None),
            color=alt.Color(
                "delivery_status:N",
                title=None,
                scale=alt.Scale(
                    domain=statuses, range=["#27ae60", "#f1c40f", "#95a5a6", "#c0392b", "#ecf0f1"]
                ),
            ),
            tooltip=[
                "feed_title",
                "period",
                "delivery_status",
                alt.Tooltip("rows_read_display", title="rows read"),
                alt.Tooltip("mean_completeness_pct", title="completeness %"),
            ],
        )
        .properties(width=620)
    )
    figure.spec = _base_config(chart).to_dict()
    latest = (
        frame.filter(pl.col("delivery_status") != "not delivered")
        .sort("period")
        .group_by("feed", maintain_order=True)
        .last()
    )
    figure.table = latest.sort("partner", "feed").to_dicts()
    figure.table_columns = [
        ("partner", "Partner"),
        ("feed_title", "Feed"),
        ("period", "Latest period"),
        ("delivery_status", "Status"),
        ("rows_read_display", "Rows read"),
        ("pct_rows_rejected", "% rejected"),
        ("mean_completeness_pct", "Completeness %"),
        ("lowest_completeness_field", "Least complete field"),
        ("typical_lag_days", "Lag (days)"),
    ]
    return figure


# --- assembling ------------------------------------------------------------------------------------------------


def build_report(
    marts: Mapping[str, pl.DataFrame],
    *,
    catalogue: Sequence[Mapping[str, str]],
    feed_catalogue: Sequence[Mapping[str, str]],
    rule: DisclosureRule,
    generated_at: dt.datetime,
) -> tuple[str, ReportResult]:
    """Render the report HTML from published marts. Pure: reads nothing, writes nothing."""
    statuses = feed_statuses(marts, feed_catalogue)
    figures = [
        trend_figure(marts),
        ranking_figure(marts),
        age_figure(marts),
        gap_figure(marts),
        factors_figure(marts, catalogue),
        overlap_figure(marts),
        pathways_figure(marts),
        hotspots_figure(marts),
        quality_figure(marts),
    ]
    for figure in figures:
        warnings, withhold = feed_warnings(figure.key, statuses, catalogue)
        figure.data_warnings = warnings
        if withhold and figure.unavailable is None:
            figure.unavailable = "Withheld: without the feeds below this figure would be misleading."
            figure.spec, figure.table = None, None
    specs = {
        figure.chart_id: figure.spec
        for figure in figures
        if figure.spec is not None and not figure.unavailable
    }
    area_name = _area_name(marts)
    context = {
        "area_name": area_name,
        "generated_at": generated_at,
        "coverage": _coverage(marts),
        "statuses": statuses,
        "missing": [s for s in statuses if s.status == "missing"],
        "stale": [s for s in statuses if s.status == "stale"],
        "partner_labels": PARTNER_LABELS,
        "figures": figures,
        "specs_json": json.dumps(specs, default=str).replace("</", "<\\/"),
        "rule": rule,
        "marts_missing": [name for name in MARTS if name not in marts],
        "scripts": [resources.files(TEMPLATES).joinpath(path).read_text("utf-8") for path in VENDOR_SCRIPTS],
    }
    html = _environment().get_template(TEMPLATE).render(**context)
    result = ReportResult(
        path=f"{REPORTS_ZONE}/{REPORT_PATH}",
        generated_at=generated_at,
        figures=[figure.title for figure in figures],
        charts=len(specs),
        missing_feeds=[s.feed for s in statuses if s.status == "missing"],
        stale_feeds=[s.feed for s in statuses if s.status == "stale"],
        unavailable_figures=[figure.title for figure in figures if figure.unavailable],
        bytes_written=len(html.encode("utf-8")),
    )
    return html, result


def write_report(store: Store, project_dir: Path, *, now: dt.datetime | None = None) -> ReportResult:
    """Regenerate ``reports/jsna_report.html`` from the marts published in ``store``."""
    generated_at = now or dt.datetime.now(dt.UTC)
    html, result = build_report(
        read_published_marts(store),
        catalogue=read_catalogue(project_dir),
        feed_catalogue=read_feed_catalogue(project_dir),
        rule=DisclosureRule.from_dbt_project(project_dir),
        generated_at=generated_at,
    )
    store.write_text(REPORTS_ZONE, REPORT_PATH, html)
    return result


def _area_name(marts: Mapping[str, pl.DataFrame]) -> str:
    frame = marts.get("mart_violence_by_area_month")
    if frame is not None and not frame.is_empty():
        names = frame.filter(pl.col("geography_level") == "vru").get_column("area_name").drop_nulls()
        if names.len():
            return str(names[0])
    return "the partnership area"


def _coverage(marts: Mapping[str, pl.DataFrame]) -> str | None:
    frame = marts.get("mart_violence_by_area_month")
    if frame is None or frame.is_empty():
        return None
    periods = frame.get_column("period")
    return f"{periods.min()} to {periods.max()}"


def _format_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FunctionLoader(
            lambda name: resources.files(TEMPLATES).joinpath(name).read_text("utf-8")
        ),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["cell"] = _format_cell
    return environment
