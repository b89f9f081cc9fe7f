"""The Dagster dbt asset runs the refresh's `dbt build`: data tests yes, unit tests no, full refresh on request."""

from __future__ import annotations

import json

from orchestration.defs.dbt.assets import DbtBuildConfig
from vrlake.warehouse import dbt_build_args


def test_routine_build_runs_data_tests_but_leaves_unit_tests_to_ci() -> None:
    args = DbtBuildConfig().dbt_args()
    assert args == dbt_build_args() == ["build", "--exclude", "resource_type:unit_test"]


def test_full_refresh_and_analyst_options_keep_the_same_selection() -> None:
    args = DbtBuildConfig(full_refresh=True, reporting_as_at="2026-03-31", ed_police_match_window_days=14).dbt_args()
    assert args[:3] == ["build", "--exclude", "resource_type:unit_test"]
    assert "--full-refresh" in args
    assert json.loads(args[args.index("--vars") + 1]) == {
        "person_as_at_date": "2026-03-31", "ed_police_match_window_days": 14
    }
