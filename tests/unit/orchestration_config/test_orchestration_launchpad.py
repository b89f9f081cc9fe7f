"""The analyst's launchpad options reach dbt as they would on the command line."""

from __future__ import annotations

import json

import pytest

from orchestration.defs.dbt.assets import DbtBuildConfig


def test_empty_launchpad_uses_the_project_defaults() -> None:
    assert DbtBuildConfig().dbt_args() == []


def test_reporting_date_window_and_full_refresh_become_dbt_arguments() -> None:
    args = DbtBuildConfig(full_refresh=True, reporting_as_at="2026-03-31", ed_police_match_window_days=14).dbt_args()
    assert args[0] == "--full-refresh" and args[1] == "--vars"
    assert json.loads(args[2]) == {"person_as_at_date": "2026-03-31", "ed_police_match_window_days": 14}


def test_a_reporting_date_that_is_not_a_date_is_refused() -> None:
    with pytest.raises(ValueError):
        DbtBuildConfig(reporting_as_at="31/03/2026").dbt_args()
