"""Hypothesis settings for the property tests: quick, and steady on a loaded machine."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# No deadline: a busy shared machine makes single examples slow now and then, and a
# slow example is not a failure here.  GRAPHMETRICS_HYPOTHESIS_PROFILE=thorough runs
# many more examples.
settings.register_profile(
    "quick", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("thorough", parent=settings.get_profile("quick"), max_examples=5000)
settings.load_profile(os.environ.get("GRAPHMETRICS_HYPOTHESIS_PROFILE", "quick"))
