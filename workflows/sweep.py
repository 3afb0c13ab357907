"""What a sweep prepares once, in the driver, before its jobs run concurrently (on Ray).

Concurrent jobs must not race to create the same things: the local MLflow store (its
tables are created on first use) and experiment, and the simulated market every job of a
strategy sweep replays. :class:`PrepareSweep` is a Hydra callback (``conf/runtime/ray.yaml``)
that creates them from the sweep's base config before the launcher starts any job.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, open_dict, read_write

log = logging.getLogger("arb.sweep")


class PrepareSweep(Callback):
    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        from workflows.backtest import PROJECT_DIR, simulated_recording
        from workflows.config import load
        from workflows.tracking import Tracker

        task = copy.deepcopy(config)  # the job config alone, as Hydra hands it to a job
        with read_write(task), open_dict(task):
            del task["hydra"]
        conf = load(task)
        import mlflow  # noqa: F401  (configures its loggers on import; quiet them after)

        for name in ("alembic", "mlflow"):  # schema migrations talk at INFO; Hydra's own logging is on
            logging.getLogger(name).setLevel(logging.WARNING)
        Tracker(conf.tracking, PROJECT_DIR)  # creates the store and the experiment
        if not conf.backtest.recordings:
            simulated_recording(conf, PROJECT_DIR / conf.backtest.cache_dir)
