"""The configuration schema: plain dataclasses that validate themselves.

This module is the only place holding config defaults and range checks. Hydra composes
``conf/`` over these classes (registered by ``workflows/config.py``, the only module that
imports Hydra), and ``conf/`` holds only what differs from the defaults here.
:func:`workflows.config.load` validates in this order, each failure a
:class:`~arb.core.errors.ConfigError` naming the key:

1. keys: every key of the composed config must exist here (:func:`unknown_keys`), also
   keys added with ``+``, which Hydra accepts; each refusal says "did you mean";
2. types, while OmegaConf builds these objects;
3. ranges, in each class's ``__post_init__``, then settings that contradict each other
   (:meth:`ArbConf.__post_init__`); :meth:`ArbConf.warnings` lists legal combinations
   that probably do not do what was meant (logged loudly at start).

Values here are what the user wrote (floats, ints). :mod:`arb.runtime.settings` is the one
place turning them into exact domain values (fixed-point ints, int nanoseconds).

Credentials never live in files or on the command line: ``api_key``/``api_secret``/
``api_passphrase`` may only be an environment reference without a default
(``${oc.env:ARB_BINANCE_API_KEY}`` or ``${oc.env:ARB_BINANCE_API_KEY,null}``, see
:func:`is_env_reference`), are masked in every dump (:func:`redacted`,
:func:`redact_overrides`) and are never logged or sent to MLflow.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import TYPE_CHECKING, Any, overload

from arb.core.errors import ConfigError, SymbolError
from arb.core.symbols import split
from arb.venues.registry import NAMES as VENUE_NAMES

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

#: Config keys that hold secrets (masked wherever a config is shown or logged).
SECRET_KEYS = frozenset({"api_key", "api_secret", "api_passphrase"})
#: What a masked secret shows.
MASK = "***"
POLICIES = ("unwind", "hedge", "hold")
#: Every executor ``executor.mode`` names, and those that exist today. The live executor is a
#: Every executor ``executor.mode`` names, and those that exist today.
EXECUTOR_MODES = ("paper", "live")
EXECUTORS_AVAILABLE = ("paper", "live")

#: ``${oc.env:NAME}`` or ``${oc.env:NAME,null}``: a credential read from the environment.
_ENV_REFERENCE = re.compile(r"\$\{oc\.env:[A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*null)?\}")


def suggestion(word: str, choices: Iterable[str], prefix: str = "") -> str:
    """`` (did you mean <prefix><closest>?)``, or `` (known: …)`` when nothing is close."""
    choices = list(choices)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {prefix}{close[0]}?)"
    return f" (known: {', '.join(choices)})"


def is_env_reference(value: object) -> bool:
    """Whether a raw (unresolved) config value reads a credential from the environment and
    nothing else: ``${oc.env:NAME}`` or ``${oc.env:NAME,null}``. A default inside the
    reference (``${oc.env:NAME,hunter2}``) is a literal credential, so it is not one."""
    return isinstance(value, str) and _ENV_REFERENCE.fullmatch(value) is not None


def _plain(value: float | int) -> str:
    """``5000.0`` → ``5000``, ``0.5`` → ``0.5``: numbers in messages as a user writes them."""
    return str(int(value)) if float(value).is_integer() else repr(value)


def _non_negative(key: str, value: float | int | None) -> None:
    if value is not None and value < 0:
        raise ConfigError(f"{key} must not be negative (got {value})")


def _positive(key: str, value: float | int | None) -> None:
    if value is not None and value <= 0:
        raise ConfigError(f"{key} must be positive (got {value})")


@dataclass
class VenueConf:
    """One venue. ``None`` means the venue module's default (URLs, taker fee, book depth);
    for ``latency_ms``, ``executor.latency_ms``. There is no maker fee: nothing places maker
    orders yet, so such a key would be accepted and never read."""

    #: ``false`` takes the venue out of ``universe.venues`` everywhere: it is not simulated,
    #: connected, scanned, funded or traded (:meth:`ArbConf.active_venues`).
    enabled: bool = True
    ws_url: str | None = None
    rest_url: str | None = None
    taker_fee: float | None = None
    depth: int | None = None
    latency_ms: float | None = None
    api_key: str | None = None
    api_secret: str | None = None
    api_passphrase: str | None = None
    #: What the venue charges to withdraw each asset (the rebalancing report prices transfers with it).
    withdrawal_fee: dict[str, float] = field(default_factory=dict)

    def validate(self, venue: str) -> None:
        """Range checks, naming ``venues.<venue>.<key>`` (called by :class:`ArbConf`)."""
        _non_negative(f"venues.{venue}.taker_fee", self.taker_fee)
        _non_negative(f"venues.{venue}.latency_ms", self.latency_ms)
        if self.taker_fee is not None and self.taker_fee >= 1:
            raise ConfigError(f"venues.{venue}.taker_fee is a rate (0.001 = 0.1 %), got {self.taker_fee}")
        _positive(f"venues.{venue}.depth", self.depth)


@dataclass
class DiscoverConf:
    """``universe=discover``: the symbols come from the venues' own listings at start — every
    symbol listed and trading on at least ``min_venues`` of the universe's venues, quoted in one
    of ``quotes``, with at least ``min_volume_quote`` of 24 h volume on each venue counted (from
    its ticker endpoint; null: no floor), plus ``include`` and minus ``exclude``, the
    ``max_symbols`` with the most volume."""

    enabled: bool = False
    quotes: list[str] = field(default_factory=lambda: ["USDT"])
    min_venues: int = 2
    min_volume_quote: float | None = None
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    max_symbols: int = 100

    def __post_init__(self) -> None:
        if self.min_venues < 2:
            raise ConfigError(f"universe.discover.min_venues must be at least 2: an arbitrage needs two venues (got {self.min_venues})")
        _positive("universe.discover.max_symbols", self.max_symbols)
        _non_negative("universe.discover.min_volume_quote", self.min_volume_quote)
        if not self.quotes:
            raise ConfigError("universe.discover.quotes is empty: no symbol could qualify")
        for key, items in (("include", self.include), ("exclude", self.exclude)):
            for symbol in items:
                try:
                    split(symbol)
                except SymbolError as exc:
                    raise ConfigError(f"universe.discover.{key}: {exc}") from None


@dataclass
class UniverseConf:
    """What is traded: every symbol on every venue (minus disabled venues) — listed here, or
    discovered from the venues' listings (``discover``)."""

    venues: list[str] = field(default_factory=lambda: ["binance", "kraken", "okx"])
    symbols: list[str] = field(
        default_factory=lambda: [
            "BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT", "ADA/USDT",
            "DOGE/USDT", "LTC/USDT", "DOT/USDT", "LINK/USDT", "AVAX/USDT",
        ]
    )
    discover: DiscoverConf = field(default_factory=DiscoverConf)
    #: While live, the venues' listings are fetched again every this many seconds: a symbol
    #: that stops trading on a venue leaves that venue's feed and the scan, one that starts
    #: (or, with ``discover``, newly qualifies) joins — no restart. 0: never.
    refresh_s: float = 3600.0

    def __post_init__(self) -> None:
        _non_negative("universe.refresh_s", self.refresh_s)
        for venue in self.venues:
            if venue not in VENUE_NAMES:
                raise ConfigError(f"universe.venues: unknown venue {venue!r}{suggestion(venue, VENUE_NAMES)}")
        for key, items in (("universe.venues", self.venues), ("universe.symbols", self.symbols)):
            twice = sorted({item for item in items if items.count(item) > 1})
            if twice:
                raise ConfigError(f"{key}: {', '.join(twice)} listed more than once")
        if len(self.venues) < 2:
            raise ConfigError("universe.venues: arbitrage needs at least two distinct venues")
        for symbol in self.symbols:
            try:
                split(symbol)
            except SymbolError as exc:
                raise ConfigError(f"universe.symbols: {exc}") from None
        if not self.symbols and not self.discover.enabled:
            raise ConfigError("universe.symbols is empty (or use universe=discover)")


@dataclass
class StrategyConf:
    #: An opportunity must net at least this much quote after both taker fees.
    min_profit_quote: float = 0.5
    #: Largest quote amount on either leg of one trade (at most ``risk.max_notional_quote``).
    max_notional_quote: float = 1000.0
    #: The one freshness rule (business rule: 5 s): a feed marks a book without updates for
    #: this long stale, the scanner skips views older than this, and risk refuses an
    #: opportunity whose older view is older than this.
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
    #: Cap on an opportunity's larger leg, in quote.
    max_notional_quote: float = 1000.0
    #: Largest absolute net exposure per asset (its own units), e.g. after one-legged
    #: fills; assets not listed are uncapped.
    max_position: dict[str, float] = field(default_factory=dict)
    #: Orders in flight, including the two a new trade adds (so at least 2).
    max_open_legs: int = 4
    #: Fraction of failed orders over the window that halts trading.
    error_rate_limit: float = 0.01
    #: Orders in the error-rate window.
    error_window: int = 200
    #: Halt all trading from the start.
    kill_switch: bool = False
    #: Cap on the notional traded per UTC day (both legs' larger side, summed; null: none).
    max_daily_notional_quote: float | None = None
    #: Per venue and asset, the least to keep there, e.g. ``{binance: {USDT: 1000}}``: the
    #: direction that would spend below it pauses (the risk gate says why).
    inventory_floor: dict[str, dict[str, float]] = field(default_factory=dict, metadata={"keys": VENUE_NAMES})
    #: The split of each asset across venues that the rebalancing report aims for, e.g.
    #: ``{USDT: {binance: 0.5, okx: 0.5}}`` (an asset not listed: equal shares).
    inventory_target: dict[str, dict[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _positive("risk.max_notional_quote", self.max_notional_quote)
        _positive("risk.max_daily_notional_quote", self.max_daily_notional_quote)
        for venue, floors in self.inventory_floor.items():
            if venue not in VENUE_NAMES:
                raise ConfigError(f"risk.inventory_floor.{venue}: unknown venue{suggestion(venue, VENUE_NAMES, 'risk.inventory_floor.')}")
            for asset, amount in floors.items():
                _non_negative(f"risk.inventory_floor.{venue}.{asset}", amount)
        for asset, shares in self.inventory_target.items():
            for venue, share in shares.items():
                if venue not in VENUE_NAMES:
                    raise ConfigError(f"risk.inventory_target.{asset}.{venue}: unknown venue{suggestion(venue, VENUE_NAMES)}")
                _non_negative(f"risk.inventory_target.{asset}.{venue}", share)
            if shares and sum(shares.values()) <= 0:
                raise ConfigError(f"risk.inventory_target.{asset}: the shares must add up to more than 0")
        for asset, value in self.max_position.items():
            _non_negative(f"risk.max_position.{asset}", value)
        if self.max_open_legs < 2:
            raise ConfigError(f"risk.max_open_legs must be at least 2: a trade places two legs (got {self.max_open_legs})")
        _positive("risk.error_window", self.error_window)
        if not 0 <= self.error_rate_limit <= 1:
            raise ConfigError(f"risk.error_rate_limit must be within [0, 1] (got {self.error_rate_limit})")


@dataclass
class ExecutorConf:
    #: ``paper`` (simulated fills against the books) or ``live`` (signed orders on the venues:
    #: the simulators' private APIs with ``live=sim``, real money with ``live=public``).
    mode: str = "paper"
    #: Live: build, sign and log every order request (secrets masked) without sending it.
    dry_run: bool = False
    #: Live on real venues trades real money: this must be set to say so.
    confirm_live: bool = False
    #: Latency from decision to the order reaching a venue, unless the venue sets its own.
    latency_ms: float = 20.0
    #: What to do with the filled leg when the other does not fill.
    one_legged_policy: str = "unwind"
    #: Starting balances on every venue, by asset (quote assets and bases alike).
    balances: dict[str, float] = field(default_factory=lambda: {"USDT": 20000.0})
    #: Starting base holdings per venue and symbol, worth this much quote at the first price seen.
    base_value_quote: float = 10000.0
    #: How far past the best price a one-legged follow-up (unwind, hedge) may fill: a
    #: protected market order, in basis points.
    market_slippage_bps: int = 100

    def __post_init__(self) -> None:
        if not 0 <= self.market_slippage_bps < 10_000:
            raise ConfigError(f"executor.market_slippage_bps must be within [0, 10000) (got {self.market_slippage_bps})")
        if self.mode not in EXECUTOR_MODES:
            raise ConfigError(f"executor.mode must be one of {', '.join(EXECUTOR_MODES)} (got {self.mode!r})")
        if self.mode not in EXECUTORS_AVAILABLE:
            raise ConfigError(
                f"executor.mode={self.mode}: the {self.mode} executor does not exist yet and orders would only be "
                f"paper fills; use executor.mode={EXECUTORS_AVAILABLE[0]}"
            )
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
    """Transport policy for live feeds (seconds). When a book counts as stale is
    ``strategy.max_age_s``, the one freshness rule."""

    #: No inbound frame at all (data, heartbeat, pong) for this long → reconnect.
    idle_timeout_s: float = 30.0
    #: Reconnect backoff: exponential from base to cap, with jitter.
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 30.0
    #: After this many consecutive failed attempts a venue stops for ``breaker_cooldown_s``.
    breaker_threshold: int = 10
    breaker_cooldown_s: float = 300.0
    #: permessage-deflate: saves bandwidth on real links, costs CPU on loopback.
    compression: bool = False

    def __post_init__(self) -> None:
        for name in ("idle_timeout_s", "backoff_base_s", "backoff_cap_s", "breaker_cooldown_s"):
            _positive(f"live.feed.{name}", getattr(self, name))
        if self.backoff_cap_s < self.backoff_base_s:
            raise ConfigError("live.feed.backoff_cap_s must be at least live.feed.backoff_base_s")
        _positive("live.feed.breaker_threshold", self.breaker_threshold)


@dataclass
class SimFaultsConf:
    """One simulated venue's faults: each a probability per published update (``rest_*``: per
    REST request), e.g. ``live.sim.faults.okx.gap=0.01``."""

    drop: float = 0.0
    stall: float = 0.0
    gap: float = 0.0
    checksum: float = 0.0
    malformed: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    rest_slow: float = 0.0
    rest_429: float = 0.0

    def rates(self) -> dict[str, float]:
        """The faults set (non-zero), by name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


@dataclass
class LiveSimConf:
    """The loopback venue simulators ``live.source=sim`` starts (universe venues × symbols)."""

    seed: int = 7
    #: Market seconds per wall second.
    speed: float = 1.0
    #: Per venue, fault probabilities per published update, e.g. ``live.sim.faults.okx.gap=0.001``
    #: (drop, stall, gap, checksum, malformed, duplicate, reorder, rest_slow, rest_429).
    faults: dict[str, SimFaultsConf] = field(default_factory=lambda: {v: SimFaultsConf() for v in VENUE_NAMES},
                                             metadata={"keys": VENUE_NAMES})
    #: Dislocations (one venue's price jumps) across the whole market, per minute: frequent
    #: enough that a one-minute demo shows trades.
    dislocations_per_min: float = 10.0
    dislocation_bps: float = 80.0
    dislocation_s: float = 3.0

    def __post_init__(self) -> None:
        _positive("live.sim.speed", self.speed)
        for venue, faults in self.faults.items():
            if venue not in VENUE_NAMES:
                raise ConfigError(f"live.sim.faults.{venue}: unknown venue{suggestion(venue, VENUE_NAMES)}")
            for name, rate in faults.rates().items():
                if not 0 <= rate <= 1:
                    raise ConfigError(f"live.sim.faults.{venue}.{name} is a probability within [0, 1] (got {rate})")
        _non_negative("live.sim.dislocations_per_min", self.dislocations_per_min)
        _non_negative("live.sim.dislocation_bps", self.dislocation_bps)
        _positive("live.sim.dislocation_s", self.dislocation_s)


@dataclass
class LiveConf:
    #: ``sim``: start loopback simulators of every universe venue and trade against them;
    #: ``public``: the venues' real public endpoints (paper trading).
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

    #: Rotating gzip files, one stream per venue (relative to the project folder).
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
    #: MLflow tracking URI; None → $MLFLOW_TRACKING_URI, else a local store in ``dir``. A
    #: server URI must answer at start (:func:`workflows.config.check_tracking`).
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
    venues: dict[str, VenueConf] = field(default_factory=dict, metadata={"keys": VENUE_NAMES})
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
        """Venue names and ranges, then settings that contradict each other. Each
        contradiction here is an error because its outcome is certain and silent (no trade
        at all); :meth:`warnings` holds the ones that may be meant."""
        for name, venue in self.venues.items():
            if name not in VENUE_NAMES:
                raise ConfigError(f"venues.{name}: unknown venue{suggestion(name, VENUE_NAMES, 'venues.')}")
            venue.validate(name)
        active = self.active_venues()
        if len(active) < 2:
            off = " ".join(f"venues.{v}.enabled=false" for v in self.universe.venues if v not in active)
            raise ConfigError(
                f"universe.venues: arbitrage needs at least two enabled venues; {off} leaves {', '.join(active) or 'none'}"
            )
        if self.executor.mode == "live" and self.live.source == "public" and not (self.executor.confirm_live or self.executor.dry_run):
            raise ConfigError(
                "executor.mode=live with live=public sends real orders with real money: add executor.confirm_live=true "
                "to say so (or executor.dry_run=true to build and log the orders without sending them)"
            )
        strategy, risk = self.strategy, self.risk
        if strategy.max_notional_quote > risk.max_notional_quote:
            raise ConfigError(
                f"strategy.max_notional_quote={_plain(strategy.max_notional_quote)} exceeds "
                f"risk.max_notional_quote={_plain(risk.max_notional_quote)}: the scanner would size trades the risk "
                f"check refuses; set strategy.max_notional_quote to at most {_plain(risk.max_notional_quote)}"
            )
        if strategy.min_profit_quote >= strategy.max_notional_quote:
            raise ConfigError(
                f"strategy.min_profit_quote={_plain(strategy.min_profit_quote)} is not below "
                f"strategy.max_notional_quote={_plain(strategy.max_notional_quote)}: a trade nets less than its "
                "notional, so no opportunity could qualify"
            )

    def venue(self, name: str) -> VenueConf:
        """``venues.<name>``, or the defaults when the config does not mention it."""
        return self.venues.get(name) or VenueConf()

    def active_venues(self) -> list[str]:
        """``universe.venues`` without those set ``venues.<name>.enabled=false``, in order:
        the venues every workflow simulates, connects to, scans, funds and trades."""
        return [name for name in self.universe.venues if self.venue(name).enabled]

    def warnings(self) -> list[str]:
        """Legal settings that probably do not do what was meant, one sentence each."""
        out = []
        if self.risk.kill_switch:
            out.append("risk.kill_switch=true: trading is halted from the start; no order will be placed")
        pairs = [split(symbol) for symbol in self.universe.symbols]
        bases = {base for base, _ in pairs}
        assets = sorted(bases | {quote for _, quote in pairs})
        for asset, cap in sorted(self.risk.max_position.items()):
            if asset not in assets:
                out.append(
                    f"risk.max_position.{asset}: no universe symbol trades {asset}, so this cap limits nothing"
                    f"{suggestion(asset, assets, 'risk.max_position.')}"
                )
            elif cap == 0 and asset in bases:
                out.append(
                    f"risk.max_position.{asset}=0: no {asset} trade can pass the position check "
                    "(to leave an asset out, drop its symbols from universe.symbols)"
                )
        executor = self.executor
        if executor.mode == "live" and self.live.source == "public":
            out.append("executor.balances and executor.base_value_quote do not apply live on real venues: "
                       "arb starts from the balances the venues report")
        seeded = executor.base_value_quote > 0

        def funded(asset: str) -> bool:
            return executor.balances.get(asset, 0) > 0 or (seeded and asset in bases)

        for symbol, (base, quote) in zip(self.universe.symbols, pairs, strict=True):
            if not funded(quote):
                out.append(f"universe.symbols: {symbol} can never be bought: no {quote} in executor.balances")
            if not funded(base):
                out.append(
                    f"universe.symbols: {symbol} can never be sold: no {base} in executor.balances "
                    "and executor.base_value_quote=0"
                )
        return out


#: Keys that were removed, and why (said when one is used).
RETIRED = {
    "venues.*.maker_fee": "nothing places maker orders yet, so it would never be read",
    "live.feed.stale_after_s": "when a book counts as stale is strategy.max_age_s, the one freshness rule",
}


def unknown_keys(tree: Mapping[Any, object], schema: type = ArbConf) -> list[str]:
    """Every key of ``tree`` (a composed config as plain dicts) that the schema does not
    define, as ``"<key>: unknown key (did you mean …)"``. Keys of dict-valued settings are
    names: venue names are checked here, others (assets …) by the classes."""
    found: list[str] = []
    _walk(tree, schema, (), "", found)
    return found


def _walk(node: object, hint: object, names: tuple[str, ...], path: str, found: list[str]) -> None:
    if not isinstance(node, Mapping):
        return
    if is_dataclass(hint):
        known = _fields(hint)
        for key, value in node.items():
            if key in known:
                _walk(value, known[key][0], known[key][1], f"{path}{key}.", found)
            else:
                found.append(_unknown(path, str(key), known))
    elif typing.get_origin(hint) is dict:
        for key, value in node.items():
            if names and key not in names:
                found.append(f"{path}{key}: unknown name{suggestion(str(key), names, path)}")
            else:
                _walk(value, typing.get_args(hint)[1], (), f"{path}{key}.", found)


def _fields(cls: DataclassInstance | type[DataclassInstance]) -> dict[str, tuple[object, tuple[str, ...]]]:
    """``name → (type, allowed keys when it is a dict of names)`` of a schema class."""
    types = typing.get_type_hints(cls)
    return {f.name: (types[f.name], tuple(f.metadata.get("keys", ()))) for f in fields(cls)}


def _unknown(path: str, key: str, known: Mapping[str, object]) -> str:
    pattern = ".".join("*" if part in VENUE_NAMES else part for part in f"{path}{key}".split("."))
    if pattern in RETIRED:
        return f"{path}{key}: no such key any more: {RETIRED[pattern]}"
    return f"{path}{key}: unknown key{suggestion(key, known, path)}"


def check_key(path: str, schema: type = ArbConf) -> None:
    """Raise :class:`ConfigError` unless the dotted ``path`` (``strategy.min_profit_quote``,
    ``venues.okx.taker_fee``, ``risk.max_position.BTC``) is a setting or section of the
    schema; the error says which part is unknown and what is close."""
    hint: object = schema
    names: tuple[str, ...] = ()
    done = ""
    for part in path.split("."):
        if is_dataclass(hint):
            known = _fields(hint)
            if part not in known:
                raise ConfigError(_unknown(done, part, known))
            hint, names = known[part]
        elif typing.get_origin(hint) is dict:
            if names and part not in names:
                raise ConfigError(f"{done}{part}: unknown name{suggestion(part, names, done)}")
            hint, names = typing.get_args(hint)[1], ()
        elif typing.get_origin(hint) is list:
            return
        else:
            raise ConfigError(f"{path}: {done[:-1]} is a single value, it has no {part!r}")
        done += part + "."


@overload
def redacted(value: DataclassInstance | Mapping[str, object]) -> dict[str, object]: ...
@overload
def redacted(value: object) -> object: ...
def redacted(value: object) -> object:
    """A plain copy of a config (dataclasses/dicts/lists) with secrets masked."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: (MASK if f.name in SECRET_KEYS and getattr(value, f.name) else redacted(getattr(value, f.name))) for f in fields(value)}
    if isinstance(value, dict):
        return {k: (MASK if k in SECRET_KEYS and v else redacted(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redacted(v) for v in value]
    return value


def redact_overrides(overrides: Iterable[str]) -> list[str]:
    """Command-line overrides (``HydraConfig.get().overrides.task``, where interpolations are
    already resolved) with credentials masked: ``venues.okx.api_secret=hunter2`` →
    ``venues.okx.api_secret=***``; an override whose value mentions a credential key
    (``venues.okx={api_secret: …}``) has its whole value masked."""
    out = []
    for text in overrides:
        key, sep, value = str(text).partition("=")
        name = key.lstrip("+~").split("@", 1)[0].rsplit(".", 1)[-1]
        if sep and (name in SECRET_KEYS or any(secret in value for secret in SECRET_KEYS)):
            out.append(f"{key}={MASK}")
        else:
            out.append(str(text))
    return out


def flatten(value: object, prefix: str = "") -> dict[str, str]:
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
