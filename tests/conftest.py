"""Shared fixtures: the sample district (generated once per test session) and its assessment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property-based tests: a fixed, derandomised set in CI; ``--hypothesis-profile long`` explores more.
_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("ci", max_examples=15, derandomize=True, deadline=None, suppress_health_check=_SLOW_OK)
settings.register_profile("long", max_examples=400, deadline=None, suppress_health_check=_SLOW_OK)
settings.load_profile("ci")

#: ../shared/data beside the checkout (CI lays it there); a worktree elsewhere finds /work/shared/data.
SHARED_DATA = next((p for p in (Path(__file__).resolve().parents[2] / "shared" / "data", Path("/work/shared/data"))
                    if p.is_dir()), Path(__file__).resolve().parents[2] / "shared" / "data")


@pytest.fixture(scope="session")
def sample_config(tmp_path_factory) -> Path:
    """config.yml of the default sample district, generated once into a temporary folder."""
    from nachverdichtung.sample import generate_sample

    return Path(generate_sample(tmp_path_factory.mktemp("sample") / "sample"))


@pytest.fixture(scope="session")
def sample_assessment(sample_config):
    """The assessment of the default sample district (computed once; treat as read-only)."""
    from nachverdichtung.config import load_config
    from nachverdichtung.pipeline import assess

    return assess(load_config(sample_config))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data with third-party test files (tests skip when it is missing)."""
    if not SHARED_DATA.exists():
        pytest.skip("../shared/data not available")
    return SHARED_DATA
