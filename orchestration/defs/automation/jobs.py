"""Jobs and schedules: a run per partner drop zone (sensors), and the nightly refresh of everything."""

from __future__ import annotations

import dagster as dg

from ingestors.contract import PARTNERS
from orchestration.defs.ingestion.assets import partner_group
from orchestration.lib.drop_zone_sensor import build_drop_zone_sensor

REFRESH_ALL_JOB = "refresh_all"

refresh_all = dg.define_asset_job(
    REFRESH_ALL_JOB,
    selection=dg.AssetSelection.all(),
    description="Ingest every pending delivery, then rebuild the warehouse and republish the marts.",
    tags={"vrlake/kind": "refresh"},
)

partner_jobs = {
    partner: dg.define_asset_job(
        f"{partner}_intake_job",
        selection=dg.AssetSelection.groups(partner_group(partner)) & dg.AssetSelection.key_prefixes("bronze"),
        description=f"Ingest files delivered to landing/{partner}/.",
        tags={"partner": partner},
    )
    for partner in PARTNERS
}

drop_zone_sensors = [build_drop_zone_sensor(p, partner_jobs[p], f"{p}_intake") for p in PARTNERS]

nightly_refresh = dg.ScheduleDefinition(
    name="nightly_refresh",
    job=refresh_all,
    cron_schedule="30 2 * * *",
    execution_timezone="Europe/London",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Nightly: pick up anything the sensors missed and rebuild every mart.",
)
