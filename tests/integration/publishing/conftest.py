"""Fixtures for the publishing tests: the hand-countable scenario, built, published and reported on, once."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import Store
from tests.integration.publishing.synthetic_pipeline import published_scenario


@pytest.fixture(scope="session")
def project_dir(pytestconfig: pytest.Config) -> Path:
    return pytestconfig.rootpath / "dbt_project"


@pytest.fixture(scope="session")
def scenario_store(
    pytestconfig: pytest.Config, project_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Store:
    """Police, ED and probation delivered, education never: every mart published and the report written.

    Tests must not modify it; tests that tamper with published files copy it first (see ``copy_of``).
    """
    return published_scenario(tmp_path_factory.mktemp("scenario"), pytestconfig.rootpath, project_dir)
