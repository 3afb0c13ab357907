"""arb's Prometheus metrics, exported through Ray's metrics (``ray.util.metrics``).

Every node's Ray metrics agent serves them for Prometheus (``ray start
--metrics-export-port=8080``, see ``cluster.yaml``), prefixed ``ray_`` and counters
suffixed ``_total``: ``arb_feed_messages`` is scraped as ``ray_arb_feed_messages_total``,
with Ray's own labels (node, worker) besides ours. Rates are Prometheus' job
(``rate(ray_arb_feed_messages_total[1m])`` per venue); latency quantiles come from the
histogram buckets (``histogram_quantile(0.99, …_bucket)``) — Ray approximates a
histogram's ``_sum`` from bucket midpoints, so use buckets, not ``_sum / _count``.

A process without Ray (``arb live`` with ``runtime=local``, tests) gets the same objects in
plain Python (:class:`LocalCounter` …): same methods, same tag checks, values readable —
and :func:`exposition` renders them with the Prometheus client library under the names Ray
exports (``ray_arb_…``, counters ``…_total``), so one Grafana dashboard
(``deploy/grafana/arb.json``) reads either runtime.

What the engine records comes from the same places in both runtimes: :class:`FeedRecorder`
turns a feed's health snapshot into feed and book metrics, :class:`ExecutionRecorder` the
trader's counters into execution metrics (both as increments of cumulative totals).

    metrics = ArbMetrics()                    # in an actor's __init__: Ray's metrics
    metrics.feed_messages.inc(len(frames), {"venue": "binance", "shard": "0"})
    metrics.tick_to_trade_ms.observe(3.2, {"shard": "0"})

Record per batch, not per message: a record is a Python call into Ray's C++ recorder.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias, TypeVar

import ray
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from ray.util import metrics as ray_metrics

from arb.book.health import BookState
from arb.core.numbers import to_float
from arb.exec.orders import TradeResult
from arb.io.health import VenueHealth
from arb.risk.limits import TradingState
from arb.scan.opportunity import Opportunity

if TYPE_CHECKING:
    from arb.decision.trader import Trader

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
    MetricSpec("pnl_usd", "gauge", "arb_pnl_usd", "Mark-to-market P&L in USD: balances now minus at the start, at current prices", ()),
    MetricSpec("equity_usd", "gauge", "arb_equity_usd", "Mark-to-market value of every balance in USD", ()),
    MetricSpec("trading_state", "gauge", "arb_trading_state", "1 for the trading state the risk gate is in (active, reducing, halted)", ("state",)),
    MetricSpec("kill_switch", "gauge", "arb_kill_switch", "1 while the kill switch is engaged", ()),
    MetricSpec("breaker_failures", "gauge", "arb_breaker_failures", "Failed orders in the circuit breaker's window", ()),
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

    def touch(self, tags: Mapping[str, str] | None = None) -> None:
        """Make the series exist at 0 (exported before its first increment; Ray cannot)."""
        self.values.setdefault(self._key(tags), 0.0)


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


#: A metric of each kind: Ray's (exported by its agents) or the plain-Python stand-in.
Counter: TypeAlias = ray_metrics.Counter | LocalCounter
Gauge: TypeAlias = ray_metrics.Gauge | LocalGauge
Histogram: TypeAlias = ray_metrics.Histogram | LocalHistogram


def _make(spec: MetricSpec, use_ray: bool) -> Counter | Gauge | Histogram:
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

    # One attribute per spec of SPECS, of its kind (set from SPECS in __init__).
    feed_messages: Counter
    feed_bytes: Counter
    decode_errors: Counter
    connections: Gauge
    reconnects: Counter
    views_published: Counter
    publish_batches: Counter
    books: Gauge
    gaps: Counter
    resyncs: Counter
    checksum_failures: Counter
    opportunities: Counter
    rejections: Counter
    trades: Counter
    orders: Counter
    open_legs: Gauge
    realized_pnl_usd: Gauge
    pnl_usd: Gauge
    equity_usd: Gauge
    trading_state: Gauge
    kill_switch: Gauge
    breaker_failures: Gauge
    tick_to_opportunity_ms: Histogram
    tick_to_trade_ms: Histogram

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


#: Every Prometheus name is Ray's: ``ray_`` + the spec's name (counters get ``_total``).
EXPORT_PREFIX = "ray_"


def exported_name(spec: MetricSpec) -> str:
    """The metric family's name as Prometheus stores it, in both runtimes (without the
    ``_total``/``_bucket`` … suffixes the exposition adds)."""
    return EXPORT_PREFIX + spec.name


class _LocalCollector:
    """A Prometheus collector over a local :class:`ArbMetrics` (read at every scrape)."""

    def __init__(self, metrics: ArbMetrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        for spec in SPECS:
            metric = getattr(self.metrics, spec.attr)
            name, labels = exported_name(spec), list(spec.tag_keys)
            family: Metric
            if spec.kind == "counter":
                family = CounterMetricFamily(name, spec.description, labels=labels)
                for key, value in sorted(metric.values.items()):
                    family.add_metric(_label_values(spec, key), value)
            elif spec.kind == "gauge":
                family = GaugeMetricFamily(name, spec.description, labels=labels)
                for key, value in sorted(metric.values.items()):
                    family.add_metric(_label_values(spec, key), value)
            else:
                family = HistogramMetricFamily(name, spec.description, labels=labels)
                for key, row in sorted(metric.values.items()):
                    cumulative, buckets = 0.0, []
                    for bound, count in zip((*spec.boundaries, float("inf")), row[: len(spec.boundaries) + 1]):
                        cumulative += count
                        buckets.append(("+Inf" if bound == float("inf") else repr(float(bound)), cumulative))
                    family.add_metric(_label_values(spec, key), buckets, row[-1])
            yield family


def _label_values(spec: MetricSpec, key: tuple[tuple[str, str], ...]) -> list[str]:
    tags = dict(key)
    return [tags[k] for k in spec.tag_keys]


def exposition(metrics: ArbMetrics) -> bytes:
    """Local metrics in the Prometheus text format (``/metrics`` of a process without Ray)."""
    if metrics.backend != "local":
        raise ValueError("exposition() renders local metrics; on Ray, Ray's metrics agents export them")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_LocalCollector(metrics))
    return generate_latest(registry)


K = TypeVar("K")


def _increase(last: dict[K, int], key: K, total: int) -> int:
    """How much a cumulative ``total`` grew since it was last seen (a total that went down
    was restarted from zero: all of it is new)."""
    before = last.get(key, 0)
    last[key] = total
    return total - before if total >= before else total


class FeedRecorder:
    """A venue feed's health snapshots → feed and book metrics (messages, connections,
    reconnects, decode errors, books by state, gaps, resyncs, checksum failures).

    Counters grow by what the feed's cumulative counts grew since the last snapshot; with
    ``local`` metrics every series of the venue exists from the first snapshot (zero until
    something happens), on Ray a counter appears at its first increment."""

    def __init__(self, metrics: ArbMetrics, venue: str, shard: str = "0") -> None:
        self.metrics = metrics
        self.venue = venue
        self.shard = shard
        self._last: dict[str, int] = {}

    def record(self, health: VenueHealth) -> None:
        m, venue = self.metrics, self.venue
        feed_tags = {"venue": venue, "shard": self.shard}
        venue_tags = {"venue": venue}
        counts = (
            ("feed_messages", health.messages, feed_tags),
            ("reconnects", sum(c.reconnects for c in health.connections), feed_tags),
            # The health snapshot holds the total; causes are in the feed's log lines.
            ("decode_errors", health.decode_errors, {"venue": venue, "reason": "any"}),
            ("gaps", health.gaps, venue_tags),
            ("resyncs", health.resyncs, venue_tags),
            ("checksum_failures", health.checksum_failures, venue_tags),
        )
        for attr, total, tags in counts:
            _count_or_touch(m, attr, _increase(self._last, attr, total), tags)
        m.connections.set(sum(1 for c in health.connections if c.state == "up"), feed_tags)
        for state in BOOK_STATES:
            m.books.set(health.books.get(state, 0), {"venue": venue, "state": state})


def _count_or_touch(metrics: ArbMetrics, attr: str, value: int, tags: Mapping[str, str]) -> None:
    metric = getattr(metrics, attr)
    if value > 0:
        metric.inc(value, dict(tags))
    elif isinstance(metric, LocalCounter):
        metric.touch(tags)


class ExecutionRecorder:
    """The trader's state → execution metrics: open legs, realized and mark-to-market P&L,
    equity, the trading state, the kill switch and breaker, orders by venue and status,
    rejections by reason, trades by action (the last three as increments)."""

    def __init__(self, metrics: ArbMetrics) -> None:
        self.metrics = metrics
        self._last: dict[object, int] = {}
        self._trades = 0

    def record(self, trader: Trader, trades: Sequence[TradeResult] | None = None, rejections: bool = True) -> None:
        """``trades``: every completed trade so far (None: trades are counted elsewhere);
        ``rejections=False``: rejections are counted elsewhere (the Ray executor counts
        both as they happen)."""
        m = self.metrics
        m.open_legs.set(trader.open_legs())
        m.realized_pnl_usd.set(to_float(trader.portfolio.realized_reporting))
        pnl = trader.pnl()
        if pnl is not None:
            m.pnl_usd.set(to_float(pnl))
        equity = trader.portfolio.equity(trader.reporting_price) if trader.reporting_price is not None else None
        if equity is not None:
            m.equity_usd.set(to_float(equity))
        risk = trader.risk
        for state in TradingState:
            m.trading_state.set(1 if risk.state is state else 0, {"state": str(state)})
        m.kill_switch.set(1 if risk.killed else 0)
        m.breaker_failures.set(risk.failures)
        for (venue, status), total in sorted(trader.order_outcomes.items()):
            m.count("orders", _increase(self._last, ("orders", venue, status), total), {"venue": venue, "status": status})
        if rejections:
            for code, total in sorted(trader.rejections.items()):
                m.count("rejections", _increase(self._last, ("rejections", code), total), {"reason": code})
        if trades is not None:
            for result in trades[self._trades:]:
                m.trades.inc(1, {"action": result.action})
            self._trades = len(trades)


class EngineMetrics:
    """Every metric of an engine hosted in one process (the local runtime): feeds, decisions
    and execution, recorded as on Ray, rendered by :meth:`exposition` for ``/metrics``.

    The runtime calls :meth:`on_decided` after each scan with what it found and the trader
    took (latencies: receive time of the newer view → the end of that scan); the host
    calls :meth:`sample` before a scrape and now and then (feed health, trader state).
    """

    def __init__(self, shard: str = "0") -> None:
        self.metrics = ArbMetrics(backend="local", default_tags={"shard": shard})
        self.shard = shard
        self._feeds: dict[str, FeedRecorder] = {}
        self._execution = ExecutionRecorder(self.metrics)

    def on_decided(self, found: Sequence[Opportunity], taken: Sequence[Opportunity], done_ns: int) -> None:
        m = self.metrics
        m.count("opportunities", len(found))
        for opp in found:
            m.tick_to_opportunity_ms.observe((done_ns - max(opp.buy_ts_recv_ns, opp.sell_ts_recv_ns)) / 1e6)
        for opp in taken:
            m.tick_to_trade_ms.observe((done_ns - max(opp.buy_ts_recv_ns, opp.sell_ts_recv_ns)) / 1e6)

    def sample(self, health: Mapping[str, VenueHealth], trader: Trader, trades: Sequence[TradeResult]) -> None:
        for venue, snapshot in health.items():
            recorder = self._feeds.get(venue)
            if recorder is None:
                recorder = self._feeds[venue] = FeedRecorder(self.metrics, venue, self.shard)
            recorder.record(snapshot)
        self._execution.record(trader, trades)

    def exposition(self) -> bytes:
        return exposition(self.metrics)
