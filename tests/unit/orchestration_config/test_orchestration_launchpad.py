"""The analyst's launchpad options reach dbt as they would on the command line, and a refresh runs the same
`dbt build` as the benchmark: data tests yes, unit tests left to CI, full refresh only on request."""

from __future__ import annotations

import json

import pytest

from orchestration.defs.dbt.assets import DbtBuildConfig
from vrlake.warehouse import dbt_build_args


def test_an_empty_launchpad_runs_the_routine_build() -> None:
    assert DbtBuildConfig().dbt_args() == dbt_build_args() == ["build", "--exclude", "resource_type:unit_test"]


def test_reporting_date_window_and_full_refresh_become_dbt_arguments_with_the_same_selection() -> None:
    args = DbtBuildConfig(full_refresh=True, reporting_as_at="2026-03-31", ed_police_match_window_days=14).dbt_args()
    assert args[:3] == ["build", "--exclude", "resource_type:unit_test"]
    assert "--full-refresh" in args
    assert json.loads(args[args.index("--vars") + 1]) == {
        "person_as_at_date": "2026-03-31", "ed_police_match_window_days": 14
    }


def test_a_reporting_date_that_is_not_a_date_is_refused() -> None:
    with pytest.raises(ValueError):
        DbtBuildConfig(reporting_as_at="31/03/2026").dbt_args()
