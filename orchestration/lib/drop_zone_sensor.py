from __future__ import annotations

"""A sensor per partner drop zone: one run per newly delivered file, keyed by the file's content identity.

The cursor remembers the identity (Content-MD5 or ETag) of each file still waiting in the drop zone, so a file is
requested once; entries for files that have left the drop zone are pruned, keeping the cursor small. The run key
`<path>@<identity>` makes run *creation* at-most-once; exactly-once *loading* is the ingestion's job (content hash
ledger and delivery-scoped Delta replace), so a re-sent identical file under another name still loads once.
"""


import json
from collections.abc import Iterable

import dagster as dg

from storage import ObjectInfo

MAX_RUNS_PER_TICK = 50
ExecutableJob = object  # a job definition or an unresolved asset job (define_asset_job)


def content_identity(info: ObjectInfo) -> str:
    return info.content_md5 or info.etag or f"{info.size}-{info.last_modified.isoformat()}"


def new_files(listing: Iterable[ObjectInfo], cursor: str | None) -> tuple[list[ObjectInfo], str]:
    """Files not seen under their current identity, and the next cursor (pure; unit-tested)."""
    seen: dict[str, str] = json.loads(cursor) if cursor else {}
    current = {info.path: info for info in listing}
    fresh = [info for path, info in sorted(current.items()) if seen.get(path) != content_identity(info)]
    fresh = fresh[:MAX_RUNS_PER_TICK]
    next_seen = {p: i for p, i in seen.items() if p in current}
    next_seen.update({info.path: content_identity(info) for info in fresh})
    return fresh, json.dumps(next_seen, sort_keys=True)


def build_drop_zone_sensor(partner: str, job: ExecutableJob, intake_op_name: str) -> dg.SensorDefinition:
    @dg.sensor(
        name=f"{partner}_drop_zone_sensor",
        job=job,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Requests a run for each new file in landing/{partner}/.",
        required_resource_keys={"vrlake"},
    )
    def drop_zone_sensor(context: dg.SensorEvaluationContext):
        from ingestors.ingest import pending_files  # keeps the code location's import light

        listing = pending_files(context.resources.vrlake.store, partner)
        fresh, next_cursor = new_files(listing, context.cursor)
        for info in fresh:
            yield dg.RunRequest(
                run_key=f"{info.path}@{content_identity(info)}",
                run_config={"ops": {intake_op_name: {"config": {"files": [info.path]}}}},
                tags={"partner": partner, "vrlake/file": info.name},
            )
        if not fresh:
            yield dg.SkipReason(f"no new files in landing/{partner}/")
        context.update_cursor(next_cursor)

    return drop_zone_sensor
