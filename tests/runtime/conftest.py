"""Ray for the runtime tests: one small local Ray per test module (``ray_local``).

Token auth is off in tests (``RAY_AUTH_MODE=disabled``: no ``~/.ray/auth_token`` written)
metrics are reported every second instead of every ten, so an export test need not wait
long, and ``MLFLOW_TRACKING_URI`` is unset (workers inherit the environment Ray starts with). Tests on ``ray.cluster_utils.Cluster`` must not use this fixture in the same
module (one Ray per process); they need ``RAY_TMPDIR`` set.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest


@contextlib.contextmanager
def _local_ray(namespace: str, env: dict[str, str], **init: object) -> Iterator[object]:
    """A local Ray started with ``env`` set (workers inherit it), stopped and ``env`` restored after."""
    import ray

    keys = {"MLFLOW_TRACKING_URI", *env}
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.pop("MLFLOW_TRACKING_URI", None)  # workers inherit this environment: track into tmp dirs
    os.environ.update(env)
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=2, include_dashboard=False, namespace=namespace, **init)
    try:
        yield ray
    finally:
        ray.shutdown()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def ray_local():
    """A running local Ray (2 CPUs, no dashboard), shut down after the module."""
    with _local_ray("arb-tests", {"RAY_AUTH_MODE": "disabled", "RAY_metrics_report_interval_ms": "1000"}) as ray:
        yield ray


@pytest.fixture(scope="module")
def ray_shards():
    """A local Ray with the slots a topology asks for (head, shards)."""
    with _local_ray("arb-topology-test", {"RAY_AUTH_MODE": "disabled"},
                    resources={"arb_head": 1, "arb_node": 1, "arb_shard": 16}) as ray:
        yield ray
