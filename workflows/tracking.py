"""MLflow tracking for workflows: params, metrics, series and artifacts of one run.

The embedded default is a local store inside the project folder (``mlruns/mlflow.db`` with
artifacts beside it); ``$MLFLOW_TRACKING_URI`` or ``tracking.uri`` point at a server instead.
Params are the flattened, redacted config: credentials never reach MLflow.

Every call names its run explicitly (an :class:`mlflow.MlflowClient` and the run id): never
MLflow's fluent "active run", which is per thread. Metrics logged from a worker thread
(``asyncio.to_thread``) or by two trackers in one process land in their own run; nothing
ever opens a stray run in the "Default" experiment. Nothing here sets MLflow's process-wide
tracking URI either.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from arb.config import TrackingConf

# Before mlflow is imported anywhere: no telemetry file, no background upload attempts, and
# no INFO lines ("Creating initial MLflow database tables…") on every start; warnings stay.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")

#: MLflow caps a param value at 6,000 characters; keep ours short and readable.
_PARAM_MAX = 500
#: MLflow's limits per ``log_batch`` call.
_BATCH_METRICS = 1000
_BATCH_PARAMS = 100


def resolve_uri(conf: TrackingConf, project_dir: Path) -> tuple[str, str | None]:
    """``(tracking_uri, artifact_location)`` for a config: explicit > env > local store."""
    if conf.uri:
        return conf.uri, None
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return os.environ["MLFLOW_TRACKING_URI"], None
    store = (project_dir / conf.dir).resolve()
    store.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{store / 'mlflow.db'}", (store / "artifacts").as_uri()


class Tracker:
    """One MLflow run (or nothing at all when tracking is disabled).

    Safe to call from several threads: each call is one request naming :attr:`run_id`.
    ``metrics(…, step=None)`` logs at the step after the highest one logged so far, so a
    run's periodic metrics and its final ones form one history.
    """

    def __init__(self, conf: TrackingConf, project_dir: Path) -> None:
        self.conf = conf
        self.enabled = conf.enabled
        self.run_id: str | None = None
        self.experiment_id: str | None = None
        self.uri: str | None = None
        self._next_step = 0
        self._step_lock = threading.Lock()
        if not self.enabled:
            return
        from mlflow import MlflowClient

        self.uri, artifacts = resolve_uri(conf, project_dir)
        self._client = MlflowClient(tracking_uri=self.uri)
        experiment = self._client.get_experiment_by_name(conf.experiment)
        if experiment is None:
            self.experiment_id = self._client.create_experiment(conf.experiment, artifact_location=artifacts)
        else:
            self.experiment_id = experiment.experiment_id

    def start(self, run_name: str, tags: Mapping[str, str], parent: Tracker | None = None) -> None:
        """Create the run, with the source tags MLflow itself would add (user, source
        file, git commit); ``parent``: as a child of that tracker's run (MLflow shows it
        under its parent)."""
        if not self.enabled:
            return
        assert self.experiment_id is not None  # set in __init__ when enabled
        from mlflow.tracking.context.registry import resolve_tags
        from mlflow.utils.mlflow_tags import MLFLOW_PARENT_RUN_ID, MLFLOW_RUN_NAME

        own = {**tags, MLFLOW_RUN_NAME: run_name}
        if parent is not None:
            own[MLFLOW_PARENT_RUN_ID] = parent._run()
        run = self._client.create_run(self.experiment_id, run_name=run_name, tags=resolve_tags(own))
        self.run_id = run.info.run_id

    def _run(self) -> str:
        if self.run_id is None:
            raise RuntimeError("Tracker: start() the run before logging to it")
        return self.run_id

    def end(self, status: str = "FINISHED") -> None:
        if self.enabled and self.run_id is not None:
            self._client.set_terminated(self.run_id, status=status)

    def params(self, params: Mapping[str, object]) -> None:
        if not self.enabled:
            return
        from mlflow.entities import Param

        batch = [Param(k, str(v)[:_PARAM_MAX]) for k, v in params.items()]
        for i in range(0, len(batch), _BATCH_PARAMS):
            self._client.log_batch(self._run(), params=batch[i : i + _BATCH_PARAMS])

    def metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        """Log ``metrics`` at ``step`` (None: the step after the highest logged so far)."""
        if not self.enabled:
            return
        from mlflow.entities import Metric

        with self._step_lock:
            if step is None:
                step = self._next_step
            self._next_step = max(self._next_step, step + 1)
        ts_ms = int(time.time() * 1000)
        batch = [Metric(k, float(v), ts_ms, step) for k, v in metrics.items()]
        for i in range(0, len(batch), _BATCH_METRICS):
            self._client.log_batch(self._run(), metrics=batch[i : i + _BATCH_METRICS])

    def series(self, name: str, points: Iterable[tuple[int, float, int]]) -> None:
        """A metric's history ``(step, value, timestamp_ms)`` in batch calls."""
        if not self.enabled:
            return
        from mlflow.entities import Metric

        batch = [Metric(name, float(value), int(ts_ms), int(step)) for step, value, ts_ms in points]
        for i in range(0, len(batch), _BATCH_METRICS):
            self._client.log_batch(self._run(), metrics=batch[i : i + _BATCH_METRICS])

    def artifact(self, path: Path, subdir: str | None = None) -> None:
        if self.enabled:
            self._client.log_artifact(self._run(), str(path), artifact_path=subdir)

    def describe(self) -> str:
        """Where the run is, for humans."""
        if not self.enabled:
            return "tracking disabled"
        where = f"run {self.run_id} in experiment {self.conf.experiment!r} at {self.uri}"
        if self.uri and self.uri.startswith("sqlite:///"):
            where += f"\n  browse: mlflow ui --backend-store-uri {self.uri}"
        return where


def annotate_run(uri: str, run_id: str, tags: Mapping[str, str], artifacts: Iterable[Path] = ()) -> None:
    """Add tags and artifacts to an existing run (finished or not), e.g. a sweep's table."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    for key, value in tags.items():
        client.set_tag(run_id, key, value)
    for path in artifacts:
        client.log_artifact(run_id, str(path))
