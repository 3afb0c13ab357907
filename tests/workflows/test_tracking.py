"""The MLflow tracker: every call lands in its own run, whatever thread makes it."""

from __future__ import annotations

import asyncio
import threading

import pytest

from arb.config import TrackingConf
from workflows.tracking import Tracker


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return TrackingConf(dir=str(tmp_path / "mlruns"))


def all_runs(tracker: Tracker):
    """Every run in every experiment of the store (the "Default" experiment included)."""
    from mlflow import MlflowClient

    client = MlflowClient(tracker.uri)
    experiments = [e.experiment_id for e in client.search_experiments()]
    return client, client.search_runs(experiments)


def test_metrics_logged_from_worker_threads_go_to_the_one_run_with_their_history(store, tmp_path):
    tracker = Tracker(store, tmp_path)
    tracker.start("live sim", {"arb.workflow": "live"})
    tracker.params({"strategy.min_profit_quote": 0.5})

    async def periodic() -> None:  # what `arb live` does every metrics_every_s
        for step in range(5):
            await asyncio.to_thread(tracker.metrics, {"trades": float(step), "pnl_usd": step / 2}, step)

    asyncio.run(periodic())
    worker = threading.Thread(target=tracker.metrics, args=({"trades": 7.0},))
    worker.start()
    worker.join()
    tracker.metrics({"trades": 9.0})  # the final summary, after the periodic ones
    tracker.end()

    client, runs = all_runs(tracker)
    assert [r.info.run_id for r in runs] == [tracker.run_id]
    [run] = runs
    assert run.info.status == "FINISHED" and run.info.run_name == "live sim"
    assert run.data.params == {"strategy.min_profit_quote": "0.5"}
    assert run.data.tags["arb.workflow"] == "live" and "mlflow.source.name" in run.data.tags
    history = sorted((m.step, m.value) for m in client.get_metric_history(run.info.run_id, "trades"))
    assert history == [(0, 0.0), (1, 1.0), (2, 2.0), (3, 3.0), (4, 4.0), (5, 7.0), (6, 9.0)]
    assert len(client.get_metric_history(run.info.run_id, "pnl_usd")) == 5


def test_a_child_run_names_its_parent_and_two_trackers_never_mix(store, tmp_path):
    parent = Tracker(store, tmp_path)
    parent.start("fan-out", {})
    child = Tracker(store, tmp_path)
    child.start("0: day0", {"arb.fanout.index": "0"}, parent=parent)
    child.metrics({"trades": 3.0})
    parent.metrics({"trades": 5.0})
    child.end()
    parent.end()

    _, runs = all_runs(parent)
    by_id = {r.info.run_id: r for r in runs}
    assert set(by_id) == {parent.run_id, child.run_id}
    assert by_id[child.run_id].data.tags["mlflow.parentRunId"] == parent.run_id
    assert "mlflow.parentRunId" not in by_id[parent.run_id].data.tags
    assert by_id[child.run_id].data.metrics == {"trades": 3.0}
    assert by_id[parent.run_id].data.metrics == {"trades": 5.0}


def test_logging_before_start_is_a_clear_error(store, tmp_path):
    tracker = Tracker(store, tmp_path)
    with pytest.raises(RuntimeError, match="start"):
        tracker.metrics({"trades": 1.0})


def test_disabled_tracking_does_nothing(tmp_path):
    tracker = Tracker(TrackingConf(enabled=False, dir=str(tmp_path / "mlruns")), tmp_path)
    tracker.start("x", {})
    tracker.metrics({"trades": 1.0})
    tracker.end()
    assert tracker.describe() == "tracking disabled" and not (tmp_path / "mlruns").exists()


def test_a_tracker_leaves_no_process_wide_uri_behind(store, tmp_path):
    # mlflow.set_tracking_uri also exports $MLFLOW_TRACKING_URI: a second tracker with its
    # own store (a notebook's second backtest, a sweep's next test) would then log into the first.
    import os

    first = Tracker(store, tmp_path)
    second = Tracker(TrackingConf(dir=str(tmp_path / "other")), tmp_path)
    assert "MLFLOW_TRACKING_URI" not in os.environ
    assert first.uri != second.uri and second.uri.endswith("/other/mlflow.db")
