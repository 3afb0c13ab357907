"""The actors of :mod:`arb.runtime.ray_live` as the type checker sees them: one Protocol per
actor handle, and the replies its methods return.

Ray types a handle as ``ActorHandle[T]`` whose every attribute is ``Never`` (each call looks
as if it never returned), and mypy does not apply ``@ray.remote`` to a class, so it sees
neither ``Cls.options`` nor ``handle.method.remote``. Here each handle is a Protocol that
repeats its actor's ``async def`` signatures under :func:`remote_method`, which makes each
one a :class:`RemoteMethod`: ``handle.method.remote(*args)`` takes the method's arguments and
returns an ``ObjectRef`` of its result (``await`` it in an actor, ``ray.get`` it in the
driver). So every call from the driver to an actor, and between actors, is checked with its
real argument and result types.

A handle gets its Protocol where it is made — ``cast(FeedHandle, actor_class(FeedActor)
.options(...).remote(...))`` or ``cast(ScannerHandle, ray.get_actor(name))`` — and nowhere
else. ``tests/runtime/test_ray_handles.py`` keeps each Protocol's signatures equal to its
actor's. Nothing here runs Ray: the module is types and two thin helpers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Concatenate, NotRequired, ParamSpec, Protocol, TypedDict, TypeVar, cast

import ray
from ray import ObjectRef
from ray.actor import ActorHandle

from arb.book.view import BookView
from arb.core.instruments import Instruments
from arb.decision.controls import Settings
from arb.exec.orders import Order
from arb.io.health import VenueHealth
from arb.risk.limits import RiskDecision
from arb.runtime.dashboard.state import Doc
from arb.scan.opportunity import Opportunity

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")

#: Free balance per (venue, asset), fixed point: what scanners size with.
Balances = dict[tuple[str, str], int]


# -- replies -----------------------------------------------------------------------------------
class ProcessStats(TypedDict):
    """An actor's process: its pid, CPU seconds spent (every thread), peak resident memory."""

    pid: int
    cpu_s: float
    max_rss_bytes: int


class FeedHealth(TypedDict):
    """One venue of a feed actor (:meth:`~arb.runtime.ray_live.FeedActor.health`). A feed
    not started yet has ``venue``, ``shard`` and ``started`` only; for an actor that does not
    answer, its caller writes ``{"started": False, "down": True}`` (with the venue if known)."""

    started: bool
    venue: NotRequired[str]
    shard: NotRequired[int]
    down: NotRequired[bool]
    health: NotRequired[VenueHealth]
    published: NotRequired[int]
    batches: NotRequired[int]
    publish_errors: NotRequired[int]
    live: NotRequired[int]  # books that may be scanned now
    symbols: NotRequired[int]
    link: NotRequired[str]  # "socket" (node-local) or "ray" (by call)
    publish_ms: NotRequired[list[float]]
    wakes: NotRequired[int]
    changed: NotRequired[int]
    last_error: NotRequired[str]


class SymbolChange(TypedDict):
    """What a feed actor (un)subscribed when its shard's symbols changed."""

    added: list[str]
    removed: list[str]


class Endpoint(TypedDict):
    """Where a scanner takes views: its node, and its link's socket (None: by Ray call)."""

    node: str
    path: str | None


class ScannerSummary(TypedDict):
    """A scanner's counters and the settings in force (cheap: no latency samples)."""

    shard: int
    scans: int
    opportunities: int
    opportunities_seen: int
    submit_errors: int
    settings: Settings


class ScannerStats(TypedDict):
    """A scanner's counters and latency samples (ms) for benchmarks."""

    shard: int
    node: str
    scans: int
    opportunities: int
    submit_errors: int
    symbols: int
    link_connections: int
    decision_ms: list[float]
    opportunity_ms: list[float]


class SubmitReply(TypedDict):
    """The executor's answer to opportunities: balances to size with, and the symbols whose
    every view it needs (orders open there)."""

    balances: Balances
    watch: list[str]


class RefreshReply(TypedDict):
    """The executor's answer to a scanner's update: balances, and which executor answered
    (a restarted one is a new incarnation and needs every view again)."""

    balances: Balances
    incarnation: int


class ExecutorState(TypedDict):
    """The executor's trader: counts, P&L and balances (fixed point and as floats for people)."""

    trades: int
    open_legs: int
    accepted: int
    rejected: dict[str, int]
    restored_records: int
    restored_trades: int
    journal_records: int
    pnl_usd: float | None
    pnl_fixed: int | None
    orders: int
    realized_fixed: dict[str, int]
    balances_fixed: Balances
    realized: dict[str, float]
    balances: dict[str, float]
    risk_state: str
    trade_ms: list[float]
    trade_ids: list[str]


# -- methods and handles -----------------------------------------------------------------------
class RemoteMethod(Protocol[P, R]):
    """An actor's method on its handle: ``remote`` sends the call and returns a reference to
    its result."""

    def remote(self, *args: P.args, **kwargs: P.kwargs) -> ObjectRef[R]: ...


def remote_method(method: Callable[Concatenate[S, P], Awaitable[R]]) -> RemoteMethod[P, R]:
    """Declares, in a handle Protocol, the actor method of that signature (``remote`` takes
    its arguments after ``self``). At run time the function is kept as it is
    (a Protocol is never instantiated), so tests can compare it with the actor's."""
    return cast("RemoteMethod[P, R]", method)


class Actor(Protocol):
    """What every actor answers."""

    @remote_method
    async def ensure_started(self) -> bool:
        """Start the actor's loops (again, after a restart); True if started now."""
        ...

    @remote_method
    async def process(self) -> ProcessStats: ...

    @remote_method
    async def profile(self, seconds: float = 5.0, top: int = 30) -> str: ...


class FeedHandle(Actor, Protocol):
    """:class:`~arb.runtime.ray_live.FeedActor`."""

    @remote_method
    async def set_symbols(self, symbols: list[str]) -> SymbolChange: ...

    @remote_method
    async def set_listing(self, allowed: dict[str, list[str]]) -> dict[str, list[list[str]]]: ...

    @remote_method
    async def live_symbols(self) -> dict[str, list[str]]: ...

    @remote_method
    async def health(self) -> list[FeedHealth]: ...

    @remote_method
    async def stop(self) -> None: ...


class ScannerHandle(Actor, Protocol):
    """:class:`~arb.runtime.ray_live.ScannerActor`."""

    @remote_method
    async def endpoint(self) -> Endpoint: ...

    @remote_method
    async def apply_settings(self, settings: Settings) -> None: ...

    @remote_method
    async def summary(self) -> ScannerSummary: ...

    @remote_method
    async def on_batch(self, payload: bytes) -> int: ...

    @remote_method
    async def on_views(self, batch: list[BookView], now_ns: int | None = None) -> list[Opportunity]: ...

    @remote_method
    async def set_listing(self, instruments: Instruments, gone: list[tuple[str, str]]) -> None: ...

    @remote_method
    async def view(self, venue: str, symbol: str) -> BookView | None: ...

    @remote_method
    async def forget(self, symbols: list[str]) -> int: ...

    @remote_method
    async def drain_trace(self) -> list[tuple[str, str, int, int]]: ...

    @remote_method
    async def stats(self) -> ScannerStats: ...

    @remote_method
    async def stop(self) -> None: ...


class ExecutorHandle(Actor, Protocol):
    """:class:`~arb.runtime.ray_live.ExecutorActor`."""

    @remote_method
    async def drain(self, timeout_s: float = 15.0) -> int: ...

    @remote_method
    async def submit(self, opportunities: list[Opportunity], views: list[BookView], now_ns: int | None = None) -> SubmitReply: ...

    @remote_method
    async def advance(self, now_ns: int | None = None) -> int: ...

    @remote_method
    async def refresh(self, payload: bytes, now_ns: int | None = None) -> RefreshReply: ...

    @remote_method
    async def set_listing(self, instruments: Instruments) -> None: ...

    @remote_method
    async def set_shards(self, shards: list[int]) -> None: ...

    @remote_method
    async def sync(self, views: list[BookView], now_ns: int | None = None) -> Balances: ...

    @remote_method
    async def orders(self) -> list[Order]: ...

    @remote_method
    async def state(self) -> ExecutorState: ...

    @remote_method
    async def kill(self, reason: str) -> int: ...

    @remote_method
    async def control(self, action: str, reason: str) -> RiskDecision: ...

    @remote_method
    async def settings(self) -> Settings: ...

    @remote_method
    async def apply_settings(self, settings: Settings, reason: str) -> None: ...

    @remote_method
    async def dashboard(self) -> Doc: ...


# -- making and ending handles -----------------------------------------------------------------
class RemoteClass(Protocol[P]):
    """An ``@ray.remote`` class as Ray drives it: ``options(...)`` (resources, name,
    placement, restarts), then ``remote(*constructor arguments)`` starts an actor."""

    def options(self, **options: object) -> RemoteClass[P]: ...

    def remote(self, *args: P.args, **kwargs: P.kwargs) -> ActorHandle[object]: ...


def actor_class(cls: Callable[P, object]) -> RemoteClass[P]:
    """``cls`` as the actor class ``@ray.remote`` made of it. mypy does not apply class
    decorators, so it sees the plain class (no ``options``, no ``remote``); through this,
    ``remote``'s arguments are checked against ``cls.__init__``. The handle it returns is
    untyped: the caller casts it to the actor's Protocol, once."""
    return cast("RemoteClass[P]", cls)


def kill(actor: Actor) -> None:
    """``ray.kill(actor, no_restart=True)`` for a handle typed by its Protocol (it is an
    ``ActorHandle`` at run time). Raises what ``ray.kill`` raises."""
    ray.kill(cast("ActorHandle[object]", actor), no_restart=True)
