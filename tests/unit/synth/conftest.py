"""Shared synthetic runs: generated once per test session, small enough to keep the suite fast."""

from __future__ import annotations

import pytest

from synth.config import NoiseConfig, SynthConfig
from synth.generate import SynthResult, generate


def _run(tmp_path_factory: pytest.TempPathFactory, name: str, config: SynthConfig) -> SynthResult:
    base = tmp_path_factory.mktemp(name)
    return generate(config, base / "out", base / "truth" / "truth.csv")


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    return _run(tmp_path_factory, "small", SynthConfig(people=2_000, seed=7))


@pytest.fixture(scope="session")
def small_run_again(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    """Same config as `small_run`, different folder: must be byte-identical."""
    return _run(tmp_path_factory, "small_again", SynthConfig(people=2_000, seed=7))


@pytest.fixture(scope="session")
def other_seed_run(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    return _run(tmp_path_factory, "other_seed", SynthConfig(people=2_000, seed=8))


@pytest.fixture(scope="session")
def medium_run(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    """Large enough for rates (ED gap, noise) to be measurable; two chunks to exercise chunking."""
    return _run(tmp_path_factory, "medium", SynthConfig(people=12_000, seed=11, chunk_size=6_000))


@pytest.fixture(scope="session")
def defective_run(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    """A high invalid-row rate, so every defect kind occurs and the rate can be checked tightly."""
    return _run(
        tmp_path_factory,
        "defective",
        SynthConfig(people=3_000, seed=5, noise=NoiseConfig(invalid_row_rate=0.05)),
    )


@pytest.fixture(scope="session")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    return _run(
        tmp_path_factory, "clean", SynthConfig(people=2_000, seed=5, noise=NoiseConfig(invalid_row_rate=0.0))
    )
