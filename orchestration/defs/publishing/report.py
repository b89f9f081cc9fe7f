"""The JSNA report and the disclosure scan of everything published (wiring only: the logic is in publishing/).

`published/jsna_report` depends on every published mart asset, so it is regenerated (eager automation) after any of
them changes and at the end of `refresh_all`. It reads only the marts zone, never the warehouse, so it needs no
place in the warehouse pool. Its blocking check scans every published CSV, XLSX sheet and Delta table for an unsafe
count; a failure names each cell.
"""

import dagster as dg

from orchestration.defs.publishing.assets import PUBLISHED_GROUP, mart_models
from orchestration.defs.resources import VrlakeResource

REPORT_KEY = dg.AssetKey(["published", "jsna_report"])
DISCLOSURE_CHECK = "published_files_pass_disclosure_scan"


@dg.asset(
    key=REPORT_KEY,
    deps=[dg.AssetKey(["published", model.name]) for model in mart_models()],
    group_name=PUBLISHED_GROUP,
    kinds={"html"},
    owners=["team:vru-analysts"],
    tags={"tier": "published"},
    automation_condition=dg.AutomationCondition.eager(),
    description=(
        "The joint strategic needs assessment report (reports/jsna_report.html): trends, area ranking, the "
        "ED-police gap, risk and protective factors, agency overlap, pathways, hotspots and data quality, with "
        "notes on suppression and on missing or stale feeds. Built from the published marts only."
    ),
)
def jsna_report(vrlake: VrlakeResource) -> dg.MaterializeResult:
    from publishing.report import write_report
    from vrlake.paths import dbt_project_dir

    result = write_report(vrlake.store, dbt_project_dir())
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(result.path),
            "charts": dg.MetadataValue.int(result.charts),
            "bytes": dg.MetadataValue.int(result.bytes_written),
            "missing_feeds": dg.MetadataValue.text(", ".join(result.missing_feeds) or "none"),
            "stale_feeds": dg.MetadataValue.text(", ".join(result.stale_feeds) or "none"),
            "figures_not_available": dg.MetadataValue.text(", ".join(result.unavailable_figures) or "none"),
        }
    )


@dg.asset_check(
    asset=REPORT_KEY,
    name=DISCLOSURE_CHECK,
    blocking=True,
    description=(
        "Every count in every published file (CSV, XLSX, Delta in the marts zone) is 0, suppressed (shown as the "
        "marker) or a multiple of the rounding base of at least the smallest publishable number."
    ),
)
def published_files_pass_disclosure_scan(vrlake: VrlakeResource) -> dg.AssetCheckResult:
    from publishing.disclosure_scan import DisclosureRule, scan_published
    from vrlake.paths import dbt_project_dir

    report = scan_published(vrlake.store, DisclosureRule.from_dbt_project(dbt_project_dir()))
    return dg.AssetCheckResult(
        passed=report.ok,
        severity=dg.AssetCheckSeverity.ERROR,
        description=report.summary(),
        metadata={
            "tables_scanned": dg.MetadataValue.int(len(report.tables_scanned)),
            "count_cells_checked": dg.MetadataValue.int(report.cells_checked),
            "unsafe_cells": dg.MetadataValue.int(len(report.unsafe)),
            "first_unsafe_cells": dg.MetadataValue.md(
                "\n".join(f"- {cell}" for cell in report.unsafe[:20]) or "none"
            ),
        },
    )


report_assets = [jsna_report]
report_checks = [published_files_pass_disclosure_scan]
