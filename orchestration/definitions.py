"""The vrlake Dagster code location: wiring only; the logic lives in ingestors/, privacy/, publishing/ and dbt."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.automation.retention import retention_job, retention_schedule
from orchestration.defs.automation.jobs import drop_zone_sensors, nightly_refresh, partner_jobs, refresh_all
from orchestration.defs.dbt.assets import dbt_resource, vrlake_dbt_models
from orchestration.defs.ingestion.assets import partner_intakes
from orchestration.defs.ingestion.checks import identifier_checks, row_accounting_checks, timeliness_checks
from orchestration.defs.linkage.assets import linkage_assets
from orchestration.defs.linkage.checks import linkage_checks
from orchestration.defs.linkage.jobs import linkage_jobs
from orchestration.defs.publishing.assets import publish_assets
from orchestration.defs.publishing.report import report_assets, report_checks
from orchestration.defs.reference.assets import operations_specs, reference_specs
from orchestration.defs.resources import VrlakeResource


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[
            *reference_specs, *operations_specs, *partner_intakes, *linkage_assets, vrlake_dbt_models,
            *publish_assets, *report_assets,
        ],
        asset_checks=[*row_accounting_checks, *identifier_checks, *timeliness_checks, *linkage_checks, *report_checks],
        jobs=[refresh_all, retention_job, *linkage_jobs, *partner_jobs.values()],
        sensors=[*drop_zone_sensors, dg.AutomationConditionSensorDefinition(
            "marts_refresh_automation", target=dg.AssetSelection.all(), default_status=dg.DefaultSensorStatus.RUNNING,
        )],
        schedules=[nightly_refresh, retention_schedule],
        resources={"vrlake": VrlakeResource(), "dbt": dbt_resource},
    )
