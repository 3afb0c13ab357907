"""Backtest groups (:func:`arb.runtime.fanout.fanout_groups`) as Ray tasks.

Each task calls :func:`arb.runtime.backtest.run_backtest` with the same config on its own
files and returns its :class:`~arb.runtime.backtest.BacktestResult` (trades, metrics, P&L
curve, spreads, journal): a group's result does not depend on where or alongside what it
ran. The recordings must be readable at the same path on every node (a shared folder, or
the same data synced by ``cluster.yaml``'s file mounts).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import ray

from arb.config import ArbConf
from arb.core.instruments import Instruments
from arb.runtime.backtest import BacktestResult, run_backtest


def _backtest(paths: list[str], conf: ArbConf, instruments: Instruments | None) -> BacktestResult:
    return run_backtest(paths, conf, instruments)


def run_groups(groups: Sequence[Sequence[Path]], conf: ArbConf, instruments: Instruments | None = None,
               task_cpus: float = 1.0) -> list[BacktestResult]:
    """One Ray task per group, all at once (Ray queues what the CPUs cannot take yet);
    results in group order. Needs a connected Ray (:func:`arb.runtime.ray_cluster.connect`).
    A failed group raises its error here (``ray.exceptions.RayTaskError`` wrapping it)."""
    task = ray.remote(num_cpus=task_cpus, max_retries=0)(_backtest)
    conf_ref = ray.put(conf)
    refs = [task.remote([str(p) for p in group], conf_ref, instruments) for group in groups]
    return ray.get(refs)
