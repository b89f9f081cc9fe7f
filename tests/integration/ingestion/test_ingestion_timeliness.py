"""A partner feed whose expected delivery is late is flagged, with a plain reason."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ingestors.contract import load_contracts
from ingestors.timeliness import feed_timeliness
from tests.ingestion_helpers import make_lake, nominals_csv


def test_feed_is_on_time_after_a_delivery_and_late_after_its_cadence(tmp_path: Path) -> None:
    lake = make_lake(tmp_path)
    contract = load_contracts()["police_nominals"]
    never = feed_timeliness(lake.store, contract)
    assert never.late and "never delivered" in never.explain()

    lake.ingest("police", "police_nominals_2026-10.csv", nominals_csv(1))
    now = dt.datetime.now(dt.UTC)
    assert not feed_timeliness(lake.store, contract, now + dt.timedelta(days=30)).late
    late = feed_timeliness(lake.store, contract, now + dt.timedelta(days=contract.expected_every_days + 1))
    assert late.late and "late" in late.explain()
