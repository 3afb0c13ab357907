"""Ray for the runtime tests: one small local Ray per test module (``ray_local``).

Token auth is off in tests (``RAY_AUTH_MODE=disabled``: no ``~/.ray/auth_token`` written)
metrics are reported every second instead of every ten, so an export test need not wait
long, and ``MLFLOW_TRACKING_URI`` is unset (workers inherit the environment Ray starts with). Tests on ``ray.cluster_utils.Cluster`` must not use this fixture in the same
module (one Ray per process); they need ``RAY_TMPDIR`` set.
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="module")
def ray_local():
    """A running local Ray (2 CPUs, no dashboard), shut down after the module."""
    import ray
    saved = {k: os.environ.get(k) for k in ("RAY_AUTH_MODE", "RAY_metrics_report_interval_ms", "MLFLOW_TRACKING_URI")}
    os.environ.pop("MLFLOW_TRACKING_URI", None)  # workers inherit this environment: track into tmp dirs
    os.environ["RAY_AUTH_MODE"] = "disabled"
    os.environ["RAY_metrics_report_interval_ms"] = "1000"
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=2, include_dashboard=False, namespace="arb-tests")
    try:
        yield ray
    finally:
        ray.shutdown()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
