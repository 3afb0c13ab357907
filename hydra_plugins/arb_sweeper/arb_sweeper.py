"""Hydra's basic sweeper (cartesian product of ``a=1,2 b=x,y``) that ends every sweep with
a table comparing its points, whichever launcher ran the jobs.

    arb backtest --multirun strategy.min_profit_quote=0.25,0.5,1 executor.latency_ms=5,50
    arb backtest --multirun runtime=ray strategy.min_profit_quote=0.25,0.5,1

``conf/config.yaml`` selects it (``override hydra/sweeper: arb``). The sweeper runs in the
driver and receives every job's ``JobReturn`` from the launcher, so each job's return
value (its key metrics) arrives here even from Ray workers on other nodes; the table is
made by :func:`workflows.sweep.finish_sweep`, also when a job failed (then the sweep still
fails, after the table).
"""

import logging
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Sequence
from typing import Any

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.config_store import ConfigStore
from hydra.core.utils import JobReturn, JobStatus
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

log = logging.getLogger(__name__)


@dataclass
class ArbSweeperConf:
    _target_: str = "hydra_plugins.arb_sweeper.arb_sweeper.ArbSweeper"
    max_batch_size: int | None = None
    params: dict[str, str] | None = None


ConfigStore.instance().store(group="hydra/sweeper", name="arb", node=ArbSweeperConf, provider="arb")


class _Collecting(Launcher):
    """The sweep's launcher, keeping every ``(job number, JobReturn)`` it hands back."""

    def __init__(self, launcher: Launcher, returns: list[tuple[int, JobReturn]]) -> None:
        self.launcher, self.returns = launcher, returns

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.launcher.setup(hydra_context=hydra_context, task_function=task_function, config=config)

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        results = self.launcher.launch(job_overrides, initial_job_idx)
        self.returns.extend(enumerate(results, start=initial_job_idx))
        return results


class ArbSweeper(BasicSweeper):
    def __init__(self, max_batch_size: int | None = None, params: dict[str, str] | None = None) -> None:
        super().__init__(max_batch_size=max_batch_size, params=params)
        self.returns: list[tuple[int, JobReturn]] = []

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        super().setup(hydra_context=hydra_context, task_function=task_function, config=config)
        assert self.launcher is not None
        self.launcher = _Collecting(self.launcher, self.returns)

    def sweep(self, arguments: list[str]) -> Any:
        try:
            return super().sweep(arguments)
        finally:
            if self.returns:
                self._finish()

    def _finish(self) -> None:
        from workflows.sweep import PointSummary, SweepPoint, finish_sweep

        assert self.config is not None
        points = []
        for job, ret in self.returns:
            value = ret._return_value  # the property raises a failed job's error; the table lists it
            if ret.status == JobStatus.COMPLETED:
                summary = value if isinstance(value, PointSummary) else None
                points.append(SweepPoint(job, list(ret.overrides or []), "FINISHED", summary))
            else:
                points.append(SweepPoint(job, list(ret.overrides or []), "FAILED", None, f"{type(value).__name__}: {value}"))
        finish_sweep(points, Path(str(self.config.hydra.sweep.dir)))
