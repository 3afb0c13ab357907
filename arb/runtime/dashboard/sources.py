"""Where the dashboard reads the engine and sends the operator's controls: a :class:`Source`.

:class:`LocalSource` reads the objects of the local runtime directly (the server runs in the
same asyncio loop, so a control lands between two decision passes, never inside one);
:class:`~arb.runtime.dashboard.ray_source.RaySource` asks the Ray actors.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from arb.core.errors import ArbError
from arb.decision.controls import Settings
from arb.risk.limits import RiskDecision
from arb.runtime.dashboard import state
from arb.runtime.live import LocalRuntime
from arb.runtime.ray_metrics import EngineMetrics



class EngineUnavailable(ArbError):
    """The engine did not answer in time (a Ray actor restarting or stuck): nothing was done;
    ask again (the server answers 503)."""


class Source(Protocol):
    """What a dashboard needs of a running engine."""

    #: ``local`` or ``ray``.
    runtime: str
    #: The universe's venues (what a setting may name).
    venues: tuple[str, ...]

    async def snapshot(self) -> state.Doc:
        """Everything the page shows now (see :mod:`arb.runtime.dashboard.state`)."""
        ...

    async def ready(self) -> tuple[bool, dict[str, object]]:
        """Books live on every enabled venue and the executor ready; with the details."""
        ...

    async def metrics(self) -> bytes:
        """The engine's metrics in the Prometheus text format."""
        ...

    async def control(self, action: str, reason: str) -> RiskDecision:
        """One of :data:`~arb.decision.controls.ACTIONS`, journalled; the decision says whether it was done."""
        ...

    async def settings(self) -> Settings:
        """The runtime settings in force."""
        ...

    async def apply_settings(self, settings: Settings, reason: str) -> None:
        """Put validated settings in force everywhere (deciders, trader), journalled."""
        ...


class LocalSource:
    """The local runtime's own objects. Setting it up turns on the runtime's metrics."""

    runtime = "local"

    def __init__(self, live: LocalRuntime, metrics: EngineMetrics | None = None, clock: Callable[[], int] = time.time_ns) -> None:
        self.live = live
        self.engine_metrics = metrics if metrics is not None else EngineMetrics()
        live.metrics = self.engine_metrics
        self.venues = tuple(live.feeds)
        self.clock = clock

    async def snapshot(self) -> state.Doc:
        live, now = self.live, self.clock()
        core = live.core
        settings = core.decider.settings()
        views = [v for feed in live.feeds.values() for symbol in feed.symbols if (v := feed.view(symbol, 1)) is not None]
        snap: state.Doc = {
            "runtime": self.runtime,
            "ts_ns": now,
            "started_ns": live.stats.started_ns,
            "feeds": [state.feed_row(venue, "0", h, settings.enabled(venue)) for venue, h in live.health().items()],
            "books": state.books(views, now),
            "opportunities_seen": core.decider.opportunities_seen,
            "internal_errors": live.stats.errors,
            "last_internal_error": live.stats.last_error,
        }
        snap.update(state.execution_state(core.trader, settings, core.trades, now))
        return snap

    async def ready(self) -> tuple[bool, dict[str, object]]:
        live = self.live
        settings = live.core.decider.settings()
        waiting = sorted(v for v, h in live.health().items() if settings.enabled(v) and not h.books.get("live", 0))
        running = live.stats.started_ns > 0
        ok = running and not waiting
        return ok, {
            "ready": ok, "executor": "ready" if running else "not started", "venues_without_live_books": waiting,
            "trading": str(live.core.trader.risk.state),
        }

    async def metrics(self) -> bytes:
        live = self.live
        self.engine_metrics.sample(live.health(), live.core.trader, live.core.trades)
        return self.engine_metrics.exposition()

    async def control(self, action: str, reason: str) -> RiskDecision:
        desk = self.live.core.desk
        with desk.trader.journal.batch():
            return desk.control(action, reason, self.clock())

    async def settings(self) -> Settings:
        return self.live.core.decider.settings()

    async def apply_settings(self, settings: Settings, reason: str) -> None:
        core = self.live.core
        core.decider.apply_settings(settings)
        with core.trader.journal.batch():
            core.trader.apply_settings(settings, reason, self.clock())
