"""The dashboard's :class:`~arb.runtime.dashboard.sources.Source` on Ray: the driver asks the
actors of a :class:`~arb.runtime.ray_topology.RayTopology`.

- state: the executor's :meth:`~arb.runtime.ray_live.ExecutorActor.dashboard` (trader,
  balances, books from its views), every feed actor's health, the scanners' counters;
- controls: the executor journals and applies them; settings then go to every scanner (a
  scanner that is restarting takes them from the executor when it is back);
- ``/metrics``: Ray's metrics agents export the actors' metrics (``ray_arb_*``) on every
  node; the driver gathers the ``ray_arb_*`` families of every live node's agent into one
  answer, so the same scrape and the same Grafana dashboard work as for the local runtime
  (Prometheus may also scrape each node's agent directly: ``--metrics-export-port``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Iterable
from typing import TypeVar

import aiohttp
import ray
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.parser import text_string_to_metric_families

from arb.decision.controls import Settings
from arb.io.health import VenueHealth
from arb.risk.limits import RiskDecision
from arb.runtime.dashboard import state
from arb.runtime.dashboard.sources import EngineUnavailable
from arb.runtime.ray_handles import FeedHealth
from arb.runtime.ray_topology import RayTopology
from arb.runtime.ray_metrics import EXPORT_PREFIX

T = TypeVar("T")
#: Families the driver's ``/metrics`` passes on.
_FAMILY_PREFIX = EXPORT_PREFIX + "arb_"
#: Errors that mean "that actor is restarting or gone, or answered too late".
_DOWN = (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError, asyncio.TimeoutError)


class RaySource:
    """The actors of ``topology`` (started), asked from the driver's event loop."""

    runtime = "ray"

    def __init__(self, topology: RayTopology, timeout_s: float = 5.0) -> None:
        if topology.executor is None:
            raise ValueError("start the topology before serving its dashboard")
        self.topology = topology
        self.venues = tuple(topology.conf.universe.venues)
        self.timeout_s = timeout_s
        self._lock = asyncio.Lock()  # one settings change at a time: each builds on the last

    async def _ask(self, ref: Awaitable[T]) -> T:
        try:
            return await asyncio.wait_for(ref, self.timeout_s)
        except _DOWN as exc:
            raise EngineUnavailable(f"a Ray actor did not answer within {self.timeout_s:g} s ({type(exc).__name__})") from None

    async def _feeds(self) -> list[FeedHealth]:
        answers = await asyncio.gather(*(self._ask(f.health.remote()) for f in self.topology.feeds), return_exceptions=True)
        out: list[FeedHealth] = []
        for answer in answers:
            if isinstance(answer, EngineUnavailable):
                out.append({"started": False, "down": True})
            elif isinstance(answer, BaseException):
                raise answer  # not an actor being down: a bug to see
            else:
                out += answer  # a feed actor answers for each venue it hosts
        return out

    async def snapshot(self) -> state.Doc:
        topology = self.topology
        assert topology.executor is not None
        executor: Awaitable[state.Doc] = self._ask(topology.executor.dashboard.remote())
        scanners = asyncio.gather(*(self._ask(s.summary.remote()) for s in topology.scanners), return_exceptions=True)
        snap, feeds, summaries = await asyncio.gather(executor, self._feeds(), scanners)
        disabled = set(snap["settings"]["disabled_venues"])
        rows: list[dict[str, object]] = []
        for h in feeds:
            if h.get("started"):
                health: VenueHealth = h["health"]
                rows.append(state.feed_row(h["venue"], str(h["shard"]), health, h["venue"] not in disabled))
            else:  # a feed actor restarting: its venue and shard are not known from here
                rows.append({"venue": h.get("venue", "?"), "shard": str(h.get("shard", "?")),
                             "state": "down" if h.get("down") else "starting", "enabled": h.get("venue") not in disabled,
                             "books": {}, "books_live": 0, "books_total": 0})
        snap.update({
            "runtime": self.runtime,
            "ts_ns": time.time_ns(),
            "feeds": rows,
            "opportunities_seen": sum(s["opportunities_seen"] for s in summaries if isinstance(s, dict)),
            "scanners_down": sum(1 for s in summaries if not isinstance(s, dict)),
        })
        return snap

    async def ready(self) -> tuple[bool, dict[str, object]]:
        topology = self.topology
        assert topology.executor is not None
        settings: Settings | None
        try:
            settings = await self._ask(topology.executor.settings.remote())
            executor = "ready"
        except EngineUnavailable:
            settings, executor = None, "not answering"
        live: dict[str, int] = {}
        for h in await self._feeds():
            if h.get("started"):
                live[h["venue"]] = live.get(h["venue"], 0) + h["health"].books.get("live", 0)
        waiting = sorted(v for v in self.venues if (settings is None or settings.enabled(v)) and not live.get(v))
        ok = executor == "ready" and not waiting
        return ok, {"ready": ok, "executor": executor, "venues_without_live_books": waiting}

    async def metrics(self) -> bytes:
        """The ``ray_arb_*`` families of every live node's metrics agent, merged."""
        targets = []
        here = ray.get_runtime_context().get_node_id()
        for node in ray.nodes():
            port = node.get("MetricsExportPort")
            if node.get("Alive") and port:
                host = "127.0.0.1" if node.get("NodeID") == here else node["NodeManagerAddress"]
                targets.append(f"http://{host}:{port}/metrics")
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            texts = await asyncio.gather(*(_fetch(session, url) for url in targets))
        return _merge(t for t in texts if t)

    async def control(self, action: str, reason: str) -> RiskDecision:
        assert self.topology.executor is not None
        return await self._ask(self.topology.executor.control.remote(action, reason))

    async def settings(self) -> Settings:
        assert self.topology.executor is not None
        return await self._ask(self.topology.executor.settings.remote())

    async def apply_settings(self, settings: Settings, reason: str) -> None:
        topology = self.topology
        assert topology.executor is not None
        async with self._lock:
            await self._ask(topology.executor.apply_settings.remote(settings, reason))
            # A scanner that does not answer now takes the settings from the executor when it is back.
            await asyncio.gather(*(self._ask(s.apply_settings.remote(settings)) for s in topology.scanners), return_exceptions=True)


async def _fetch(session: aiohttp.ClientSession, url: str) -> str:
    try:
        async with session.get(url) as response:
            return await response.text() if response.status == 200 else ""
    except (TimeoutError, aiohttp.ClientError):
        return ""  # a node going away: its series are missing from this scrape


class _Families:
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return self.families


def _merge(texts: Iterable[str]) -> bytes:
    merged: dict[str, Metric] = {}
    for text in texts:
        for family in text_string_to_metric_families(text):
            if not family.name.startswith(_FAMILY_PREFIX):
                continue
            known = merged.get(family.name)
            if known is None:
                merged[family.name] = family
            else:
                known.samples.extend(family.samples)  # different nodes: Ray's labels tell them apart
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families(list(merged.values())))
    return generate_latest(registry)
