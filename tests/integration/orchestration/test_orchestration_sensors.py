"""Drop-zone sensors: a run per new file, keyed by content identity, with a cursor that prevents repeats."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.definitions import defs
from orchestration.defs.resources import VrlakeResource
from orchestration.lib.drop_zone_sensor import new_files
from storage import ObjectInfo, Store
from tests.ingestion_helpers import nominals_csv


def evaluate(sensor_name: str, cursor: str | None) -> tuple[list[dg.RunRequest], str | None]:
    sensor = defs().get_sensor_def(sensor_name)
    context = dg.build_sensor_context(cursor=cursor, resources={"vrlake": VrlakeResource()})
    result = sensor.evaluate_tick(context)
    return list(result.run_requests or []), result.cursor


def test_sensor_requests_one_run_per_new_file_and_remembers_it(vrlake_env: Store) -> None:
    vrlake_env.write_text("landing", "police/police_nominals_2026-10.csv", nominals_csv(2))
    vrlake_env.write_text("landing", "police/police_occurrences_2026-10.csv", "placeholder\n")
    vrlake_env.write_text("landing", "health/ed_assaults_2026-10.csv", "placeholder\n")

    requests, cursor = evaluate("police_drop_zone_sensor", None)
    assert sorted(r.run_config["ops"]["police_intake"]["config"]["files"][0] for r in requests) == [
        "police/police_nominals_2026-10.csv",
        "police/police_occurrences_2026-10.csv",
    ], "only the police drop zone, one run per file"
    assert all("@" in r.run_key for r in requests), "run key carries the content identity"

    again, cursor = evaluate("police_drop_zone_sensor", cursor)
    assert again == [], "a file already requested is not requested twice"

    vrlake_env.write_text("landing", "police/police_nominals_2026-10.csv", nominals_csv(3))
    changed, _ = evaluate("police_drop_zone_sensor", cursor)
    assert len(changed) == 1, "a re-delivery with new content under the same name is a new run"
    assert changed[0].run_key != requests[0].run_key


def test_cursor_forgets_files_that_left_the_drop_zone() -> None:
    import datetime as dt

    def info(path: str, etag: str) -> ObjectInfo:
        return ObjectInfo(zone="landing", path=path, size=1, etag=etag, content_md5=None,
                          last_modified=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))

    fresh, cursor = new_files([info("p/a.csv", "1"), info("p/b.csv", "2")], None)
    assert [f.path for f in fresh] == ["p/a.csv", "p/b.csv"]
    fresh, cursor = new_files([info("p/b.csv", "2")], cursor)
    assert fresh == [] and "p/a.csv" not in cursor


@pytest.mark.parametrize("partner", ["police", "probation", "education", "health"])
def test_every_partner_has_a_running_drop_zone_sensor(partner: str) -> None:
    sensor = defs().get_sensor_def(f"{partner}_drop_zone_sensor")
    assert sensor.default_status is dg.DefaultSensorStatus.RUNNING
