"""Fixtures for the dbt tests: the project folder and the hand-countable scenario lake built once per session."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import pytest

from tests.integration.dbt.dbt_runner import DBT_PROJECT, DbtHome, build, output_tail
from tests.integration.dbt.lake_scenario import write_scenario

SECRET_SENTINELS: Final = {
    "VRLAKE_DELTA_ACCOUNT_NAME": "sentinelaccount",
    "VRLAKE_DELTA_ACCOUNT_KEY": "c2VudGluZWwtc2VjcmV0LWtleS1uZXZlci1pbi1tYW5pZmVzdA==",
}
"""Set in the build's environment; they must never appear in dbt's artefacts (the lake is local, so deltalake
ignores them)."""


@pytest.fixture(scope="session")
def project_dir(pytestconfig: pytest.Config) -> Path:
    return pytestconfig.rootpath / DBT_PROJECT


@pytest.fixture(scope="session")
def built(
    pytestconfig: pytest.Config, project_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> DbtHome:
    """The scenario lake (lake_scenario.py), built once with `dbt build`: seeds, models, data and unit tests."""
    root = tmp_path_factory.mktemp("dbt-build")
    home = DbtHome(root=root, lake_uri=str(root / "lake"), storage_options={})
    write_scenario(pytestconfig.rootpath, home.lake_uri)
    result = build(project_dir, home, **SECRET_SENTINELS)
    assert result.returncode == 0, output_tail(result)
    return home
