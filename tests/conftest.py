"""Shared pytest configuration: Hypothesis profile sized for 2-core CI."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, settings

import rnnverify

settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,  # CI is deterministic: the same examples every run
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci")


def pytest_report_header(config) -> str:
    """Say which copy of rnnverify runs: the checkout, or an installed wheel."""
    return f"rnnverify from {Path(rnnverify.__file__).parent}"
