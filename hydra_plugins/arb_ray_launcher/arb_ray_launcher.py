"""A Hydra launcher that runs every ``--multirun`` job as a Ray task.

    arb backtest --multirun runtime=ray strategy.min_profit_quote=0.25,0.5,1   # Ray started here
    arb backtest --multirun runtime=ray runtime.address=auto executor.latency_ms=5,50   # a cluster
    arb backtest --multirun hydra/launcher=arb_ray …                            # this launcher alone

``runtime=ray`` selects this launcher (``conf/runtime/ray.yaml``); its settings default to
``runtime.*``. The sweeper composes each job's config here, in the driver; each Ray task
then runs the job exactly as Hydra's basic launcher would (``run_job``: output folder,
logging, the task function — ``arb backtest`` logs its MLflow run from the task). Jobs run
concurrently, ``task_cpus`` each; results come back in job order, and a failed job fails
the sweep as it does locally.

What a job prints (its summary table, its log lines) is captured in the worker and handed
back with its result; the driver prints it, job after job in job order, under a ``#n``
header. Nothing goes through Ray's log forwarding, whose deduplication would otherwise
swallow the lines two jobs have in common ("[repeated 2x across cluster]") and whose
prefixes carry colour codes.
"""

import contextlib
import io
import logging
import os
import sys
from dataclasses import dataclass
from collections.abc import Sequence
from typing import Any

from hydra.core.config_store import ConfigStore
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, JobStatus, configure_log, filter_overrides, run_job, setup_globals
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, open_dict

log = logging.getLogger(__name__)


@dataclass
class ArbRayLauncherConf:
    _target_: str = "hydra_plugins.arb_ray_launcher.arb_ray_launcher.ArbRayLauncher"
    #: None: start Ray in this process; "auto": join the cluster running here; "ray://…": Ray Client.
    address: str | None = "${oc.select:runtime.address,null}"
    # An OmegaConf structured config takes an interpolation string as the default of a typed
    # field and checks the resolved value against the type; Python's types cannot say so.
    #: CPUs of a Ray started here (None: all of them).
    num_cpus: int | None = "${oc.select:runtime.num_cpus,null}"  # type: ignore[assignment]
    #: CPUs each job reserves (jobs beyond the cluster's CPUs wait their turn).
    task_cpus: float = "${oc.select:runtime.task_cpus,1}"  # type: ignore[assignment]
    namespace: str = "${oc.select:runtime.namespace,arb}"


ConfigStore.instance().store(group="hydra/launcher", name="arb_ray", node=ArbRayLauncherConf, provider="arb")


def _run(hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig,
         singletons: Any) -> tuple[JobReturn, str]:
    """One job, inside a Ray worker (what Hydra's basic launcher does per job); returns its
    result and everything it wrote to stdout (its log lines included: Hydra's job logging
    writes to the stdout of the moment it is configured, inside the capture)."""
    setup_globals()
    Singleton.set_state(singletons)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            ret = run_job(hydra_context=hydra_context, task_function=task_function, config=config,
                          job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")
        except SystemExit as exc:  # a job that exits must fail the sweep, not kill the worker
            overrides = list(config.hydra.overrides.task)
            ret = JobReturn(overrides=overrides, status=JobStatus.FAILED, working_dir=os.getcwd(),
                            _return_value=RuntimeError(f"job exited with status {exc.code}"))
    return ret, out.getvalue()


class ArbRayLauncher(Launcher):
    def __init__(self, address: str | None = None, num_cpus: int | None = None, task_cpus: float = 1.0,
                 namespace: str = "arb") -> None:
        self.address, self.num_cpus, self.task_cpus, self.namespace = address, num_cpus, task_cpus, namespace
        self.config: DictConfig | None = None
        self.task_function: TaskFunction | None = None
        self.hydra_context: HydraContext | None = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config, self.hydra_context, self.task_function = config, hydra_context, task_function

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        import ray

        from arb.runtime import ray_cluster

        assert self.config is not None and self.hydra_context is not None and self.task_function is not None
        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        # arb's one way to join Ray: a Ray started here binds 127.0.0.1 only, stays quiet and
        # leaves no process behind (arb.runtime.ray_cluster).
        ray_cluster.connect(self.address, self.num_cpus, self.namespace, include_dashboard=False)
        # Outputs go where the driver means, whatever a worker's current folder is.
        sweep_dir = os.path.abspath(str(self.config.hydra.sweep.dir))
        os.makedirs(sweep_dir, exist_ok=True)
        remote = ray.remote(num_cpus=self.task_cpus, max_retries=0)(_run)
        singletons = Singleton.get_state()
        log.info(f"Launching {len(job_overrides)} jobs as Ray tasks on {ray.cluster_resources().get('CPU', 0):g} CPUs")
        refs = []
        for idx, overrides in enumerate(job_overrides, start=initial_job_idx):
            log.info(f"\t#{idx} : {' '.join(filter_overrides(overrides))}")
            sweep_config = self.hydra_context.config_loader.load_sweep_config(self.config, list(overrides))
            with open_dict(sweep_config):
                sweep_config.hydra.job.id = idx
                sweep_config.hydra.job.num = idx
                sweep_config.hydra.sweep.dir = sweep_dir
            refs.append(remote.remote(self.hydra_context, self.task_function, sweep_config, singletons))
        results: list[JobReturn] = []
        for idx, (overrides, ref) in enumerate(zip(job_overrides, refs), start=initial_job_idx):
            ret, printed = ray.get(ref)  # in job order, each as soon as it and those before it are done
            print(f"#{idx} : {' '.join(filter_overrides(overrides))}", flush=True)
            sys.stdout.write(printed)
            sys.stdout.flush()
            results.append(ret)
        return results
