"""Shared pytest configuration: Hypothesis profile sized for 2-core CI."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,  # CI is deterministic: the same examples every run
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci")
