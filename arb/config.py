"""The configuration schema: plain dataclasses that validate themselves.

Hydra composes ``conf/`` against these classes (registered by ``workflows/config.py``, the
only place that imports Hydra), so a wrong type or an unknown key fails while composing, with
the key in the message. Range checks (negative limits, unknown venues, bad policies) run in
``__post_init__`` when the composed config is turned into these objects, and raise
:class:`~arb.core.errors.ConfigError` naming the key.

Credentials never live in files: ``api_key``/``api_secret``/``api_passphrase`` may only be
filled by environment interpolation (``${oc.env:ARB_BINANCE_API_KEY,null}``), are masked in
every dump (:func:`redacted`) and are never logged or sent to MLflow.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, fields, is_dataclass
from decimal import Decimal
from typing import Any

from arb.core.errors import ConfigError, SymbolError
from arb.core.symbols import split
from arb.venues.registry import NAMES as VENUE_NAMES

#: Config keys that hold secrets (masked wherever a config is shown or logged).
SECRET_KEYS = frozenset({"api_key", "api_secret", "api_passphrase"})
POLICIES = ("unwind", "hedge", "hold")


def exact(value: float | int | str) -> Decimal:
    """The decimal the user wrote (``0.1`` → ``Decimal("0.1")``, not the binary float)."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))


def _non_negative(key: str, value: float | int | None) -> None:
    if value is not None and value < 0:
        raise ConfigError(f"{key} must not be negative (got {value})")


def _positive(key: str, value: float | int | None) -> None:
    if value is not None and value <= 0:
        raise ConfigError(f"{key} must be positive (got {value})")


@dataclass
class VenueConf:
    """One venue. ``None`` means the venue module's default (URLs, fees, depth)."""

    enabled: bool = True
    ws_url: str | None = None
    rest_url: str | None = None
    taker_fee: float | None = None
    maker_fee: float | None = None
    depth: int | None = None
    latency_ms: float | None = None
    api_key: str | None = None
    api_secret: str | None = None
    api_passphrase: str | None = None

    def validate(self, venue: str) -> None:
        """Range checks, naming ``venues.<venue>.<key>`` (called by :class:`ArbConf`)."""
        for name in ("taker_fee", "maker_fee", "latency_ms"):
            _non_negative(f"venues.{venue}.{name}", getattr(self, name))
        for name in ("taker_fee", "maker_fee"):
            value = getattr(self, name)
            if value is not None and value >= 1:
                raise ConfigError(f"venues.{venue}.{name} is a rate (0.001 = 0.1 %), got {value}")
        _positive(f"venues.{venue}.depth", self.depth)


@dataclass
class UniverseConf:
    venues: list[str] = field(default_factory=lambda: ["binance", "kraken", "okx"])
    symbols: list[str] = field(default_factory=lambda: ["BTC/USDT", "ETH/USDT"])

    def __post_init__(self) -> None:
        for venue in self.venues:
            if venue not in VENUE_NAMES:
                raise ConfigError(f"universe.venues: unknown venue {venue!r} (known: {', '.join(VENUE_NAMES)})")
        if len(set(self.venues)) < 2:
            raise ConfigError("universe.venues: arbitrage needs at least two distinct venues")
        for symbol in self.symbols:
            try:
                split(symbol)
            except SymbolError as exc:
                raise ConfigError(f"universe.symbols: {exc}") from None
        if not self.symbols:
            raise ConfigError("universe.symbols is empty")


@dataclass
class StrategyConf:
    #: An opportunity must net at least this much quote after both taker fees.
    min_profit_quote: float = 0.5
    #: Largest quote amount spent on the buy leg of one trade.
    max_notional_quote: float = 1000.0
    #: Views older than this are not scanned (business rule: 5 s).
    max_age_s: float = 5.0
    #: Levels per side a book view carries to the scanner.
    depth_levels: int = 20

    def __post_init__(self) -> None:
        _non_negative("strategy.min_profit_quote", self.min_profit_quote)
        _positive("strategy.max_notional_quote", self.max_notional_quote)
        _positive("strategy.max_age_s", self.max_age_s)
        _positive("strategy.depth_levels", self.depth_levels)


@dataclass
class RiskConf:
    max_notional_quote: float = 1000.0
    #: Largest absolute net exposure per asset (its own units), e.g. after one-legged
    #: fills; assets not listed are uncapped.
    max_position: dict[str, float] = field(default_factory=dict)
    max_open_legs: int = 4
    #: Fraction of failed orders over the window that halts trading.
    error_rate_limit: float = 0.01
    error_window: int = 200
    kill_switch: bool = False

    def __post_init__(self) -> None:
        _positive("risk.max_notional_quote", self.max_notional_quote)
        for asset, value in self.max_position.items():
            _non_negative(f"risk.max_position.{asset}", value)
        _positive("risk.max_open_legs", self.max_open_legs)
        _positive("risk.error_window", self.error_window)
        if not 0 <= self.error_rate_limit <= 1:
            raise ConfigError(f"risk.error_rate_limit must be within [0, 1] (got {self.error_rate_limit})")


@dataclass
class ExecutorConf:
    mode: str = "paper"
    #: Latency from decision to the order reaching a venue, unless the venue sets its own.
    latency_ms: float = 20.0
    one_legged_policy: str = "unwind"
    #: Starting balances on every venue, by asset (quote assets and bases alike).
    balances: dict[str, float] = field(default_factory=lambda: {"USDT": 20000.0})
    #: Starting base holdings per venue and symbol, worth this much quote at the first price seen.
    base_value_quote: float = 10000.0

    def __post_init__(self) -> None:
        if self.mode not in ("paper", "live"):
            raise ConfigError(f"executor.mode must be 'paper' or 'live' (got {self.mode!r})")
        _non_negative("executor.latency_ms", self.latency_ms)
        if self.one_legged_policy not in POLICIES:
            raise ConfigError(f"executor.one_legged_policy must be one of {', '.join(POLICIES)} (got {self.one_legged_policy!r})")
        for asset, value in self.balances.items():
            _non_negative(f"executor.balances.{asset}", value)
        _non_negative("executor.base_value_quote", self.base_value_quote)


@dataclass
class SimConf:
    """A freshly simulated market of ``universe.venues`` × ``universe.symbols`` (the
    simulator's venue profiles), used when no recordings are given."""

    duration_s: float = 60.0
    seed: int = 7
    #: Dislocations (one venue's price jumps) across the whole market, per minute.
    dislocations_per_min: float = 2.0
    dislocation_bps: float = 80.0
    dislocation_s: float = 3.0

    def __post_init__(self) -> None:
        _positive("backtest.sim.duration_s", self.duration_s)
        _non_negative("backtest.sim.dislocations_per_min", self.dislocations_per_min)
        _non_negative("backtest.sim.dislocation_bps", self.dislocation_bps)
        _positive("backtest.sim.dislocation_s", self.dislocation_s)


@dataclass
class BacktestConf:
    #: Recordings to replay, in order (empty: simulate one with ``sim``).
    recordings: list[str] = field(default_factory=list)
    sim: SimConf = field(default_factory=SimConf)
    #: Where simulated markets are kept for reuse (relative to the project folder).
    cache_dir: str = "data/sim"
    progress: bool = True
    #: Run each recording (``per_file``) or each UTC day of recordings (``per_day``) as its own
    #: backtest — Ray tasks with ``runtime=ray`` — and merge the results; ``none``: replay
    #: every recording as one market, merged by time.
    fanout: str = "none"
    #: Reporting currency for P&L: USD (USD stablecoins count 1:1, other assets at their
    #: mid against a USD stablecoin on the venues being replayed).
    reporting_currency: str = "USD"

    def __post_init__(self) -> None:
        if self.fanout not in ("none", "per_file", "per_day"):
            raise ConfigError(f"backtest.fanout must be none, per_file or per_day (got {self.fanout!r})")
        if self.reporting_currency != "USD":
            raise ConfigError(f"backtest.reporting_currency: only USD is supported (got {self.reporting_currency!r})")


@dataclass
class RuntimeConf:
    """Where things run: ``local`` (this process, no Ray) or ``ray``.

    With ``ray``: ``address`` None starts Ray in this process (``num_cpus`` caps it);
    ``"auto"`` joins the cluster running on this machine (``ray start``/``ray up``);
    ``"ray://host:10001"`` connects through Ray Client. ``task_cpus``: CPUs each research
    task (a backtest file or day, a sweep job) reserves.
    """

    kind: str = "local"
    address: str | None = None
    num_cpus: int | None = None
    task_cpus: float = 1.0
    namespace: str = "arb"
    #: ``arb live`` on Ray: how many scanner shards the symbols are split into (a shard's
    #: feeds and scanner share a node; shards spread over nodes).
    shards: int = 1
    #: CPUs each live actor reserves (feeds and scanners are I/O-bound asyncio actors).
    actor_cpus: float = 0.1

    def __post_init__(self) -> None:
        _positive("runtime.shards", self.shards)
        _positive("runtime.actor_cpus", self.actor_cpus)
        if self.kind not in ("local", "ray"):
            raise ConfigError(f"runtime.kind must be 'local' or 'ray' (got {self.kind!r})")
        if self.kind == "local" and self.address:
            raise ConfigError(f"runtime.address={self.address} needs Ray: add runtime=ray")
        _positive("runtime.num_cpus", self.num_cpus)
        _positive("runtime.task_cpus", self.task_cpus)


@dataclass
class FeedConf:
    """Transport policy for live feeds (seconds)."""

    #: A book with no applied update for this long is STALE and leaves the scan.
    stale_after_s: float = 5.0
    #: No inbound frame at all (data, heartbeat, pong) for this long → reconnect.
    idle_timeout_s: float = 30.0
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 30.0
    #: After this many consecutive failed attempts a venue stops for ``breaker_cooldown_s``.
    breaker_threshold: int = 10
    breaker_cooldown_s: float = 300.0
    #: permessage-deflate: saves bandwidth on real links, costs CPU on loopback.
    compression: bool = False

    def __post_init__(self) -> None:
        for name in ("stale_after_s", "idle_timeout_s", "backoff_base_s", "backoff_cap_s", "breaker_cooldown_s"):
            _positive(f"live.feed.{name}", getattr(self, name))
        if self.backoff_cap_s < self.backoff_base_s:
            raise ConfigError("live.feed.backoff_cap_s must be at least live.feed.backoff_base_s")
        _positive("live.feed.breaker_threshold", self.breaker_threshold)


@dataclass
class LiveSimConf:
    """The loopback venue simulators ``live.source=sim`` starts (universe venues × symbols)."""

    seed: int = 7
    #: Market seconds per wall second.
    speed: float = 1.0
    #: Per venue, fault probabilities per published update, e.g. ``{okx: {gap: 0.001}}``
    #: (drop, stall, gap, checksum, malformed, duplicate, reorder, rest_slow, rest_429 …).
    faults: dict[str, dict[str, float]] = field(default_factory=dict)
    dislocations_per_min: float = 10.0
    dislocation_bps: float = 80.0
    dislocation_s: float = 3.0

    def __post_init__(self) -> None:
        _positive("live.sim.speed", self.speed)
        for venue in self.faults:
            if venue not in VENUE_NAMES:
                raise ConfigError(f"live.sim.faults.{venue}: unknown venue")


@dataclass
class LiveConf:
    #: ``sim``: start loopback simulators of every universe venue and trade against them;
    #: ``public``: the venues' real public endpoints (paper trading unless executor.mode=live).
    source: str = "sim"
    #: Stop after this long (0: until Ctrl-C).
    duration_s: float = 0.0
    #: How often running metrics go to MLflow.
    metrics_every_s: float = 10.0
    #: Every run journals every intent, order, fill and deposit to its own SQLite file here
    #: (relative to the project; on Ray, on the head node's disk).
    journal_dir: str = "data/journal"
    #: Continue the most recent journal in ``journal_dir`` (balances, open orders, P&L)
    #: instead of starting a new one. A resumed run says so at start and in its summary.
    resume: bool = False
    #: Terminal view: ``auto`` (rich on a terminal, plain lines otherwise), ``rich``, ``plain``, ``none``.
    view: str = "auto"
    feed: FeedConf = field(default_factory=FeedConf)
    sim: LiveSimConf = field(default_factory=LiveSimConf)

    def __post_init__(self) -> None:
        if self.source not in ("sim", "public"):
            raise ConfigError(f"live.source must be 'sim' or 'public' (got {self.source!r})")
        if self.view not in ("auto", "rich", "plain", "none"):
            raise ConfigError(f"live.view must be auto, rich, plain or none (got {self.view!r})")
        _non_negative("live.duration_s", self.duration_s)
        _positive("live.metrics_every_s", self.metrics_every_s)


@dataclass
class RecordConf:
    """``arb record``: where and how long (it records ``universe`` from ``live.source``)."""

    dir: str = "data/recordings"
    #: Stop after this long (0: until Ctrl-C).
    duration_s: float = 60.0
    #: Start a new file per venue after this many MB (compressed) or this many seconds.
    rotate_mb: float = 64.0
    rotate_s: float = 3600.0

    def __post_init__(self) -> None:
        _non_negative("record.duration_s", self.duration_s)
        _positive("record.rotate_mb", self.rotate_mb)
        _positive("record.rotate_s", self.rotate_s)


@dataclass
class TrackingConf:
    enabled: bool = True
    #: MLflow tracking URI; None → $MLFLOW_TRACKING_URI, else a local store in ``dir``.
    uri: str | None = None
    dir: str = "mlruns"
    experiment: str = "arb"


@dataclass
class DashboardConf:
    """The operator's web dashboard, served by ``arb live`` (both runtimes): live state,
    controls (kill switch, halt/resume, runtime settings), ``/metrics``, ``/healthz``,
    ``/readyz``. Every request needs the token: ``$ARB_DASHBOARD_TOKEN``, else one generated
    at start and written to ``token_file`` (owner-only)."""

    enabled: bool = True
    #: Loopback only unless ``allow_remote`` says otherwise (the page can halt trading).
    host: str = "127.0.0.1"
    #: 0: any free port (printed at start).
    port: int = 8642
    allow_remote: bool = False
    #: Where a generated token is written (relative to the project).
    token_file: str = "data/dashboard.token"
    #: How often the page is updated (seconds).
    refresh_s: float = 0.5

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"dashboard.port must be within [0, 65535] (got {self.port})")
        _positive("dashboard.refresh_s", self.refresh_s)
        if not self.host:
            raise ConfigError("dashboard.host is empty")
        if not self.allow_remote and not is_loopback(self.host):
            raise ConfigError(
                f"dashboard.host={self.host} would expose the engine's controls beyond this machine: "
                "add dashboard.allow_remote=true to mean it (and put TLS in front)"
            )


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class ArbConf:
    venues: dict[str, VenueConf] = field(default_factory=dict)
    universe: UniverseConf = field(default_factory=UniverseConf)
    strategy: StrategyConf = field(default_factory=StrategyConf)
    risk: RiskConf = field(default_factory=RiskConf)
    executor: ExecutorConf = field(default_factory=ExecutorConf)
    backtest: BacktestConf = field(default_factory=BacktestConf)
    tracking: TrackingConf = field(default_factory=TrackingConf)
    live: LiveConf = field(default_factory=LiveConf)
    record: RecordConf = field(default_factory=RecordConf)
    runtime: RuntimeConf = field(default_factory=RuntimeConf)
    dashboard: DashboardConf = field(default_factory=DashboardConf)

    def __post_init__(self) -> None:
        for name, venue in self.venues.items():
            if name not in VENUE_NAMES:
                raise ConfigError(f"venues.{name}: unknown venue (known: {', '.join(VENUE_NAMES)})")
            venue.validate(name)

    def venue(self, name: str) -> VenueConf:
        return self.venues.get(name) or VenueConf()


def redacted(value: Any) -> Any:
    """A plain copy of a config (dataclasses/dicts/lists) with secrets masked."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: ("***" if f.name in SECRET_KEYS and getattr(value, f.name) else redacted(getattr(value, f.name))) for f in fields(value)}
    if isinstance(value, dict):
        return {k: ("***" if k in SECRET_KEYS and v else redacted(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redacted(v) for v in value]
    return value


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """``{"a.b": "1", …}`` of a redacted config, for MLflow params."""
    out: dict[str, str] = {}
    plain = redacted(value) if prefix == "" else value
    if isinstance(plain, dict):
        for key, item in plain.items():
            out.update(flatten(item, f"{prefix}{key}."))
    elif isinstance(plain, list):
        out[prefix[:-1]] = ",".join(map(str, plain))
    else:
        out[prefix[:-1]] = "" if plain is None else str(plain)
    return out
