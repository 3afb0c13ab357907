"""Engine metrics: registered and recorded inside a Ray actor, exported for Prometheus; a
plain-Python stand-in with the same rules elsewhere."""

from __future__ import annotations

import time
import typing
import urllib.request

import pytest

from arb.runtime.ray_metrics import (
    MS_BUCKETS, SPECS, ArbMetrics, Counter, Gauge, Histogram, LocalCounter, LocalHistogram,
)

SHARD = {"shard": "0"}


def record_everything(metrics: ArbMetrics) -> None:
    """One value for every metric, as the live actors will record them."""
    for spec in SPECS:
        metric = getattr(metrics, spec.attr)
        tags = {key: {"venue": "binance", "shard": "0", "state": "live", "reason": "json", "action": "none",
                      "status": "filled"}[key] for key in spec.tag_keys}
        if spec.kind == "counter":
            metric.inc(3, tags)
        elif spec.kind == "gauge":
            metric.set(7, tags)
        else:
            metric.observe(4.2, tags)


def test_without_ray_the_metrics_are_plain_python_with_rays_tag_rules():
    metrics = ArbMetrics(backend="local", default_tags=SHARD)
    record_everything(metrics)
    metrics.count("opportunities", 0)  # a batch that found none records nothing
    metrics.count("opportunities", 2)
    metrics.feed_messages.inc(2, {"venue": "binance"})  # the shard is a default tag

    assert isinstance(metrics.feed_messages, LocalCounter)
    assert metrics.feed_messages.values == {(("shard", "0"), ("venue", "binance")): 5.0}
    assert metrics.opportunities.values == {(("shard", "0"),): 5.0}
    hist = metrics.tick_to_trade_ms
    assert isinstance(hist, LocalHistogram) and hist.spec.boundaries == MS_BUCKETS
    [row] = hist.values.values()
    assert row[MS_BUCKETS.index(5)] == 1 and row[-2:] == [1, 4.2]  # in the (3, 5] bucket; count; sum
    with pytest.raises(ValueError, match="missing value for tag key"):
        metrics.gaps.inc(1)
    with pytest.raises(ValueError, match="unrecognized tag key"):
        metrics.gaps.inc(1, {"venue": "okx", "symbol": "BTC/USDT"})
    with pytest.raises(ValueError, match="> 0"):
        metrics.gaps.inc(0, {"venue": "okx"})


def test_names_follow_prometheus_conventions():
    names = [spec.name for spec in SPECS]
    assert all(spec.description.isascii() for spec in SPECS)  # Ray's recorder takes ASCII only
    assert len(set(names)) == len(names) and all(n.startswith("arb_") for n in names)
    assert not any(n.endswith("_total") for n in names)  # Ray adds it to counters
    assert all(spec.name.endswith("_ms") for spec in SPECS if spec.kind == "histogram")
    assert list(MS_BUCKETS) == sorted(MS_BUCKETS) and MS_BUCKETS[0] < 1 and 10 in MS_BUCKETS


def test_every_metric_is_declared_on_arbmetrics_with_its_kind():
    # The type checker reads ArbMetrics' declarations; __init__ sets the attributes from SPECS.
    declared = typing.get_type_hints(ArbMetrics)
    kinds = {"counter": Counter, "gauge": Gauge, "histogram": Histogram}
    assert {spec.attr: kinds[spec.kind] for spec in SPECS} == declared


@pytest.mark.slow
def test_metrics_register_and_record_inside_an_actor_and_reach_prometheus(ray_local):
    ray = ray_local

    @ray.remote(num_cpus=0)
    class Recorder:
        def __init__(self) -> None:
            self.metrics = ArbMetrics(default_tags=SHARD)

        def record(self) -> str:
            record_everything(self.metrics)
            try:
                self.metrics.gaps.inc(1)  # Ray enforces tags the same way
            except ValueError as exc:
                return f"{self.metrics.backend}: {exc}"
            return self.metrics.backend

    recorder = Recorder.remote()
    backend = ray.get(recorder.record.remote())
    assert backend.startswith("ray: ") and "Missing value for tag key" in backend

    port = ray._private.worker.global_worker.node.metrics_export_port
    wanted = {"ray_arb_feed_messages_total", "ray_arb_books", "ray_arb_tick_to_trade_ms_bucket",
              "ray_arb_tick_to_opportunity_ms_count", "ray_arb_ws_reconnects_total"}
    deadline = time.monotonic() + 60
    seen: set[str] = set()
    while time.monotonic() < deadline:
        try:
            body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        except OSError:
            body = ""
        seen = {line.split("{", 1)[0] for line in body.splitlines() if line.startswith("ray_arb_")}
        if wanted <= seen:
            break
        time.sleep(1)
    assert wanted <= seen, sorted(seen)
    assert f"ray_{SPECS[-1].name}_bucket" in seen
    ray.kill(recorder)
