"""The retention job: delete identifiable originals past their agreement's retention period, daily."""

import datetime as dt

import dagster as dg

from ingestors.retention import apply_retention
from orchestration.defs.resources import VrlakeResource


@dg.op(description="Delete archived partner originals older than their agreement's retention period; audit each.")
def delete_expired_originals(context: dg.OpExecutionContext, vrlake: VrlakeResource) -> dg.Output[int]:
    user = context.run.tags.get("dagster/user") or context.run.tags.get("user")
    deleted = apply_retention(vrlake.store, dt.date.today(), run_id=context.run_id, user=user)
    context.log.info(f"deleted {len(deleted)} archived original(s) past retention")
    return dg.Output(len(deleted), metadata={"deleted_files": dg.MetadataValue.int(len(deleted))})


@dg.job(description="Retention of identifiable originals (archive zone), as the sharing agreements require.")
def retention_job() -> None:
    delete_expired_originals()


retention_schedule = dg.ScheduleDefinition(
    name="daily_retention",
    job=retention_job,
    cron_schedule="0 3 * * *",
    execution_timezone="Europe/London",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Daily: delete identifiable originals whose retention period has ended.",
)
