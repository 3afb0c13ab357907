"""arb's Prometheus metrics, exported through Ray's metrics (``ray.util.metrics``).

Every node's Ray metrics agent serves them for Prometheus (``ray start
--metrics-export-port=8080``, see ``cluster.yaml``), prefixed ``ray_`` and counters
suffixed ``_total``: ``arb_feed_messages`` is scraped as ``ray_arb_feed_messages_total``,
with Ray's own labels (node, worker) besides ours. Rates are Prometheus' job
(``rate(ray_arb_feed_messages_total[1m])`` per venue); latency quantiles come from the
histogram buckets (``histogram_quantile(0.99, …_bucket)``) — Ray approximates a
histogram's ``_sum`` from bucket midpoints, so use buckets, not ``_sum / _count``.

A process without Ray (``arb live`` with ``runtime=local``, tests) gets the same objects in
plain Python (:class:`LocalCounter` …): same methods, same tag checks, values readable.

    metrics = ArbMetrics()                    # in an actor's __init__: Ray's metrics
    metrics.feed_messages.inc(len(frames), {"venue": "binance", "shard": "0"})
    metrics.tick_to_trade_ms.observe(3.2, {"shard": "0"})

Record per batch, not per message: a record is a Python call into Ray's C++ recorder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import ray
from ray.util import metrics as ray_metrics

from arb.book.health import BookState

#: Latency buckets (ms): sub-millisecond in-process hops up to multi-second stalls.
MS_BUCKETS: tuple[float, ...] = (0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 250, 500, 1000, 2500, 5000)
#: Book health states the ``books`` gauge counts books in.
BOOK_STATES: tuple[str, ...] = tuple(str(state) for state in BookState)


@dataclass(frozen=True)
class MetricSpec:
    attr: str
    kind: str  # counter | gauge | histogram
    name: str
    description: str
    tag_keys: tuple[str, ...]
    boundaries: tuple[float, ...] = ()


SPECS: tuple[MetricSpec, ...] = (
    # feeds: per venue (and shard, the feed actor's)
    MetricSpec("feed_messages", "counter", "arb_feed_messages", "Websocket messages received", ("venue", "shard")),
    MetricSpec("feed_bytes", "counter", "arb_feed_bytes", "Websocket payload bytes received", ("venue", "shard")),
    MetricSpec("decode_errors", "counter", "arb_decode_errors", "Frames that failed to decode, by cause", ("venue", "reason")),
    MetricSpec("connections", "gauge", "arb_ws_connections", "Open websocket connections", ("venue", "shard")),
    MetricSpec("reconnects", "counter", "arb_ws_reconnects", "Websocket reconnects", ("venue", "shard")),
    MetricSpec("views_published", "counter", "arb_views_published", "Book views sent to the scanner (conflated)", ("venue", "shard")),
    MetricSpec("publish_batches", "counter", "arb_publish_batches", "Batches of views sent to the scanner (Ray calls)", ("venue", "shard")),
    # books
    MetricSpec("books", "gauge", "arb_books", "Books by health state", ("venue", "state")),
    MetricSpec("gaps", "counter", "arb_book_gaps", "Sequence gaps detected", ("venue",)),
    MetricSpec("resyncs", "counter", "arb_book_resyncs", "Book resynchronizations (snapshot reloads)", ("venue",)),
    MetricSpec("checksum_failures", "counter", "arb_book_checksum_failures", "Books that failed the venue checksum", ("venue",)),
    # decisions and execution
    MetricSpec("opportunities", "counter", "arb_opportunities", "Opportunities found by the scanner", ("shard",)),
    MetricSpec("rejections", "counter", "arb_opportunities_rejected", "Opportunities risk rejected, by reason code", ("reason",)),
    MetricSpec("trades", "counter", "arb_trades", "Trades completed, by one-legged action (none, unwind, hedge, hold)", ("action",)),
    MetricSpec("orders", "counter", "arb_orders", "Orders done, by venue and status (filled, partial, expired, rejected)", ("venue", "status")),
    MetricSpec("open_legs", "gauge", "arb_open_legs", "Orders placed and not yet done", ()),
    MetricSpec("realized_pnl_usd", "gauge", "arb_realized_pnl_usd", "Realized P&L in USD since the journal began", ()),
    MetricSpec("tick_to_opportunity_ms", "histogram", "arb_tick_to_opportunity_ms",
               "Receive time of the market data that made an opportunity to the scanner emitting it (ms)", ("shard",), MS_BUCKETS),
    MetricSpec("tick_to_trade_ms", "histogram", "arb_tick_to_trade_ms",
               "Receive time of the market data to the executor deciding to trade (ms)", ("shard",), MS_BUCKETS),
)


class _LocalMetric:
    """Plain-Python stand-in with Ray's tag rules: every tag key needs a string value."""

    def __init__(self, spec: MetricSpec) -> None:
        self.spec = spec
        self._default: dict[str, str] = {}

    def set_default_tags(self, tags: Mapping[str, str]) -> _LocalMetric:
        for key, value in tags.items():
            if key not in self.spec.tag_keys:
                raise ValueError(f"{self.spec.name}: unrecognized tag key {key}")
            if not isinstance(value, str):
                raise TypeError(f"{self.spec.name}: tag values must be str, got {type(value)}")
        self._default = dict(tags)
        return self

    def _key(self, tags: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
        final = {**self._default, **(tags or {})}
        for key, value in final.items():
            if key not in self.spec.tag_keys:
                raise ValueError(f"{self.spec.name}: unrecognized tag key {key}")
            if not isinstance(value, str):
                raise TypeError(f"{self.spec.name}: tag values must be str, got {type(value)}")
        missing = [k for k in self.spec.tag_keys if k not in final]
        if missing:
            raise ValueError(f"{self.spec.name}: missing value for tag key(s): {','.join(missing)}")
        return tuple(sorted(final.items()))


class LocalCounter(_LocalMetric):
    def __init__(self, spec: MetricSpec) -> None:
        super().__init__(spec)
        self.values: dict[tuple[tuple[str, str], ...], float] = {}

    def inc(self, value: float = 1.0, tags: Mapping[str, str] | None = None) -> None:
        if value <= 0:
            raise ValueError(f"{self.spec.name}: value must be > 0, got {value}")
        key = self._key(tags)
        self.values[key] = self.values.get(key, 0.0) + value


class LocalGauge(_LocalMetric):
    def __init__(self, spec: MetricSpec) -> None:
        super().__init__(spec)
        self.values: dict[tuple[tuple[str, str], ...], float] = {}

    def set(self, value: float, tags: Mapping[str, str] | None = None) -> None:
        self.values[self._key(tags)] = float(value)


class LocalHistogram(_LocalMetric):
    """Counts per bucket (``le`` upper bounds, then +Inf), plus count and exact sum."""

    def __init__(self, spec: MetricSpec) -> None:
        super().__init__(spec)
        self.values: dict[tuple[tuple[str, str], ...], list[float]] = {}

    def observe(self, value: float, tags: Mapping[str, str] | None = None) -> None:
        key = self._key(tags)
        bounds = self.spec.boundaries
        row = self.values.get(key)
        if row is None:
            row = self.values[key] = [0.0] * (len(bounds) + 3)  # buckets…, +Inf, count, sum
        for i, bound in enumerate(bounds):
            if value <= bound:
                row[i] += 1
                break
        else:
            row[len(bounds)] += 1
        row[-2] += 1
        row[-1] += value


def _make(spec: MetricSpec, use_ray: bool):
    if use_ray:
        if spec.kind == "counter":
            return ray_metrics.Counter(spec.name, spec.description, spec.tag_keys)
        if spec.kind == "gauge":
            return ray_metrics.Gauge(spec.name, spec.description, spec.tag_keys)
        return ray_metrics.Histogram(spec.name, spec.description, list(spec.boundaries), spec.tag_keys)
    if spec.kind == "counter":
        return LocalCounter(spec)
    if spec.kind == "gauge":
        return LocalGauge(spec)
    return LocalHistogram(spec)


class ArbMetrics:
    """Every metric of :data:`SPECS` as an attribute (``feed_messages``, ``tick_to_trade_ms`` …).

    ``backend``: ``"ray"`` (export through Ray), ``"local"`` (plain Python) or None — Ray
    when this process is connected to Ray (an actor, a driver after ``ray.init``).
    ``default_tags`` (e.g. ``{"shard": "3"}``) apply to every metric having those keys.
    Build one per process (an actor's ``__init__``); Ray aggregates by name and tags.
    """

    def __init__(self, backend: str | None = None, default_tags: Mapping[str, str] | None = None) -> None:
        if backend not in (None, "ray", "local"):
            raise ValueError(f"backend must be 'ray', 'local' or None, got {backend!r}")
        self.backend = backend or ("ray" if ray.is_initialized() else "local")
        use_ray = self.backend == "ray"
        for spec in SPECS:
            metric = _make(spec, use_ray)
            tags = {k: v for k, v in (default_tags or {}).items() if k in spec.tag_keys}
            if tags:
                metric.set_default_tags(tags)
            setattr(self, spec.attr, metric)

    def count(self, attr: str, value: float, tags: Mapping[str, str] | None = None) -> None:
        """Increment a counter by ``value`` when positive (a batch may have counted none)."""
        if value > 0:
            getattr(self, attr).inc(value, dict(tags) if tags else None)
