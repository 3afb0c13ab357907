"""MLflow tracking for workflows: params, metrics, series and artifacts of one run.

The embedded default is a local store inside the project folder (``mlruns/mlflow.db`` with
artifacts beside it); ``$MLFLOW_TRACKING_URI`` or ``tracking.uri`` point at a server instead.
Params are the flattened, redacted config: credentials never reach MLflow.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from arb.config import TrackingConf

# Before mlflow is imported anywhere: no telemetry file, no background upload attempts.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

#: MLflow caps a param value at 6,000 characters; keep ours short and readable.
_PARAM_MAX = 500


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
    """One MLflow run (or nothing at all when tracking is disabled)."""

    def __init__(self, conf: TrackingConf, project_dir: Path) -> None:
        self.conf = conf
        self.enabled = conf.enabled
        self.run_id: str | None = None
        self.experiment_id: str | None = None
        self.uri: str | None = None
        if not self.enabled:
            return
        import mlflow

        self._mlflow = mlflow
        self.uri, artifacts = resolve_uri(conf, project_dir)
        mlflow.set_tracking_uri(self.uri)
        experiment = mlflow.get_experiment_by_name(conf.experiment)
        if experiment is None:
            self.experiment_id = mlflow.create_experiment(conf.experiment, artifact_location=artifacts)
        else:
            self.experiment_id = experiment.experiment_id

    def start(self, run_name: str, tags: Mapping[str, str], nested: bool = False) -> None:
        """Start the run; ``nested``: as a child of the run active in this process (MLflow
        shows it under its parent)."""
        if not self.enabled:
            return
        run = self._mlflow.start_run(experiment_id=self.experiment_id, run_name=run_name, tags=dict(tags), nested=nested)
        self.run_id = run.info.run_id

    def end(self, status: str = "FINISHED") -> None:
        if self.enabled and self.run_id is not None:
            self._mlflow.end_run(status=status)

    def params(self, params: Mapping[str, Any]) -> None:
        if self.enabled:
            self._mlflow.log_params({k: str(v)[:_PARAM_MAX] for k, v in params.items()})

    def metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        if self.enabled:
            self._mlflow.log_metrics({k: float(v) for k, v in metrics.items()}, step=step)

    def series(self, name: str, points: Iterable[tuple[int, float, int]]) -> None:
        """A metric's history ``(step, value, timestamp_ms)`` in one batch call."""
        if not self.enabled:
            return
        from mlflow.entities import Metric

        batch = [Metric(name, float(value), int(ts_ms), int(step)) for step, value, ts_ms in points]
        client = self._mlflow.tracking.MlflowClient()
        for i in range(0, len(batch), 1000):
            client.log_batch(self.run_id, metrics=batch[i : i + 1000])

    def artifact(self, path: Path, subdir: str | None = None) -> None:
        if self.enabled:
            self._mlflow.log_artifact(str(path), artifact_path=subdir)

    def describe(self) -> str:
        """Where the run is, for humans."""
        if not self.enabled:
            return "tracking disabled"
        where = f"run {self.run_id} in experiment {self.conf.experiment!r} at {self.uri}"
        if self.uri and self.uri.startswith("sqlite:///"):
            where += f"\n  browse: mlflow ui --backend-store-uri {self.uri}"
        return where
