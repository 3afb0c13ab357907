"""The Ray supervisor: places a shard's actors, keeps every actor running, grows and shrinks
the shard set.

:class:`RayTopology` (in the driver) builds the topology of :mod:`arb.runtime.ray_live` from
config — the executor on the head, per shard a placement group (one ``arb_shard`` slot, packed
on one node) holding its scanner and one feed per venue — and calls ``ensure_started`` on every
actor (the driver's loop does it once a second), which restarts the loops of a restarted actor.

**Shards.** Symbols are spread over shard ids by rendezvous hashing
(:mod:`arb.runtime.sharding`). :meth:`RayTopology.add_shard` (a node joined) starts one more
shard with exactly the symbols it now outweighs, lets their books go live, then has the shards
they came from unsubscribe them; :meth:`RayTopology.remove_shard` (a node leaves) hands a
shard's symbols to the others — subscribed on new connections of theirs — and stops its actors
once those books are live. No other actor restarts and no other symbol is resubscribed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NotRequired, TypedDict, cast

import ray
from ray import ObjectRef
from ray.util.placement_group import PlacementGroup, placement_group, remove_placement_group
from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

from arb.config import ArbConf
from arb.core.instruments import Instruments
from arb.exec.live import VenueAccount
from arb.runtime.ray_cluster import HEAD_RESOURCE, SHARD_RESOURCE
from arb.runtime.ray_handles import (
    Actor, ExecutorHandle, ExecutorState, FeedHandle, FeedHealth, ScannerHandle, ScannerStats, actor_class, kill,
)
from arb.runtime.ray_live import ACTOR_DOWN, EXECUTOR_NAME, RESTART, ExecutorActor, FeedActor, ScannerActor, live_books
from arb.runtime.sharding import assign, moves
from arb.runtime.universe import subscriptions

log = logging.getLogger(__name__)

__all__ = ["RayTopology", "Resize", "Shard", "live_books"]


@dataclass
class Shard:
    """One shard's actors: its placement group, scanner and feed actors (by the venues each
    hosts)."""

    id: int
    symbols: list[str]
    group: PlacementGroup
    scanner: ScannerHandle
    scanner_name: str
    feeds: dict[tuple[str, ...], FeedHandle] = field(default_factory=dict)


class ActorProcess(TypedDict):
    """An actor's process tagged with its role (``executor``, ``scanner``, ``feed:<venues>``)
    and shard (None: the executor); ``down``, without the process's figures, when it did not
    answer."""

    role: str
    shard: int | None
    down: NotRequired[bool]
    pid: NotRequired[int]
    cpu_s: NotRequired[float]
    max_rss_bytes: NotRequired[int]


@dataclass(frozen=True)
class Resize:
    """What a shard joining or leaving did: the shard, and every symbol that moved (symbol →
    (from, to)); no other symbol was resubscribed."""

    shard: int
    moved: dict[str, tuple[int, int]]


class RayTopology:
    """The supervisor: builds feeds, scanners and the executor from config and keeps them
    running (``ensure_started`` on every actor each ``watch_s``); grows or shrinks the shard
    set (:meth:`add_shard`, :meth:`remove_shard`) moving only the symbols that change shard.

    ``trace``: scanners keep every decision for :meth:`drain_traces` (benchmarks).
    ``publish_interval_s``: how long a feed gathers changes after sending a batch (fewer,
    larger batches cost less CPU per message; a change waits up to this long).
    ``feed_actors``: feed actors per shard, the venues spread over them (1: one process holds
    every venue's books of the shard — the least CPU per message; one per venue isolates
    venues and lets a shard's feeds use several cores).
    """

    def __init__(
        self,
        conf: ArbConf,
        journal_path: str | Path,
        instruments: Instruments | None = None,
        urls: Mapping[str, Mapping[str, str]] | None = None,
        shards: int = 1,
        actor_cpus: float = 0.1,
        accounts: Mapping[str, VenueAccount] | None = None,
        balances: Mapping[tuple[str, str], int] | None = None,
        trace: bool = False,
        publish_interval_s: float = 0.002,
        feed_actors: int = 1,
    ) -> None:
        self.conf = conf
        self.journal_path = str(journal_path)
        self.instruments = instruments if instruments is not None else Instruments()
        self.urls = urls
        self.shard_ids = list(range(shards))
        self.actor_cpus = actor_cpus
        self.accounts = dict(accounts) if accounts is not None else None
        self.balances = dict(balances) if balances is not None else None
        self.trace = trace
        self.publish_interval_s = publish_interval_s
        venues = conf.active_venues()
        n = max(1, min(feed_actors, len(venues)))
        #: The venues each feed actor of a shard hosts.
        self.feed_groups = [tuple(venues[i::n]) for i in range(n)]
        self.executor: ExecutorHandle | None = None
        self.shards: dict[int, Shard] = {}
        self._names: set[str] = set()
        #: Per venue, the universe's symbols it trades (:func:`subscriptions`); feeds carry these.
        self.plan = subscriptions(venues, conf.universe.symbols, self.instruments)
        #: Listings refreshed while running (:meth:`apply_listing`): actors that restart get them again.
        self.refreshes = 0

    # -- what runs where --------------------------------------------------------------------
    @property
    def scanners(self) -> list[ScannerHandle]:
        return [shard.scanner for shard in self.shards.values()]

    @property
    def feeds(self) -> list[FeedHandle]:
        return [feed for shard in self.shards.values() for feed in shard.feeds.values()]

    @property
    def groups(self) -> list[PlacementGroup]:
        return [shard.group for shard in self.shards.values()]

    def assignment(self, shard_ids: Sequence[int] | None = None) -> dict[int, list[str]]:
        """Shard id → its symbols (rendezvous hashing, :mod:`arb.runtime.sharding`)."""
        return assign(self.conf.universe.symbols, self.shard_ids if shard_ids is None else shard_ids)

    def symbols_by_shard(self) -> list[list[str]]:
        """The symbols of each shard, in shard-id order."""
        return list(self.assignment().values())

    # -- lifecycle ------------------------------------------------------------------------
    def start(self, timeout_s: float = 60.0) -> None:
        # Constructor arguments by value: a few KB (instruments pickle compressed: ~25 KB for
        # 500 symbols × 7 venues), so they travel inline in each actor's creation task, which
        # Ray keeps to construct a restarted actor again (arguments in the object store could
        # be lost, and Ray logs an error for every such actor).
        self.executor = cast("ExecutorHandle", actor_class(ExecutorActor).options(
            name=EXECUTOR_NAME, num_cpus=self.actor_cpus, resources={HEAD_RESOURCE: 0.001}, **RESTART
        ).remote(self.conf, self.journal_path, self.instruments, self.shard_ids, self.accounts, self.balances))
        for shard, symbols in self.assignment().items():
            if symbols:
                self._start_shard(shard, symbols, timeout_s)
        self.ensure_started(timeout_s)

    def _start_shard(self, shard: int, symbols: list[str], timeout_s: float) -> Shard:
        """A shard's placement group, scanner and feeds (their loops start at ``ensure_started``)."""
        per_shard_actors = 1 + len(self.feed_groups)
        group = placement_group([{"CPU": self.actor_cpus * per_shard_actors, SHARD_RESOURCE: 1}], strategy="STRICT_PACK")
        ray.get(group.ready(), timeout=timeout_s)
        place = PlacementGroupSchedulingStrategy(placement_group=group, placement_group_bundle_index=0)
        name = f"arb-scanner-{shard}"
        n = 1
        while name in self._names:  # a shard id used before: its old name may linger a while
            name, n = f"arb-scanner-{shard}.{n}", n + 1
        self._names.add(name)
        scanner = cast("ScannerHandle", actor_class(ScannerActor).options(
            name=name, num_cpus=self.actor_cpus, scheduling_strategy=place, **RESTART
        ).remote(self.conf, shard, self.instruments, EXECUTOR_NAME, self.trace))
        unit = self.shards[shard] = Shard(shard, list(symbols), group, scanner, name)
        for venues in self.feed_groups:
            urls = {venue: (self.urls or {})[venue] for venue in venues if venue in (self.urls or {})}
            feed = unit.feeds[venues] = cast("FeedHandle", actor_class(FeedActor).options(
                num_cpus=self.actor_cpus, scheduling_strategy=place, **RESTART
            ).remote(self.conf, list(venues), shard, list(symbols), urls or None, name, self.publish_interval_s))
            ray.get(feed.set_listing.remote({v: self.plan[v] for v in venues}), timeout=timeout_s)  # before its loops start
        return unit

    def actors(self) -> list[Actor]:
        return [*([self.executor] if self.executor is not None else []), *self.scanners, *self.feeds]

    def ensure_started(self, timeout_s: float = 30.0) -> int:
        """(Re)start every actor's loops; returns how many were (re)started. Actors that are
        restarting right now are skipped: the next call gets them."""
        actors = self.actors()
        refs = [actor.ensure_started.remote() for actor in actors]
        started = 0
        restarted = []
        for actor, ref in zip(actors, refs, strict=True):
            try:
                fresh = bool(ray.get(ref, timeout=timeout_s))
            except (*ACTOR_DOWN, ray.exceptions.GetTimeoutError):
                continue
            started += fresh
            if fresh:
                restarted.append(actor)
        if self.refreshes and restarted:  # built from their constructor's listing: give them today's
            self._send_listing(restarted, [], timeout_s)
        return started

    # -- the venues' listings refreshed -----------------------------------------------------
    def apply_listing(self, symbols: Sequence[str], listing: Instruments, timeout_s: float = 30.0) -> dict[str, tuple[list[str], list[str]]]:
        """The venues' listings fetched anew (see :meth:`LocalRuntime.apply_listing
        <arb.runtime.live.LocalRuntime.apply_listing>`): every actor takes the new instruments
        (a halted symbol stops being traded at once), each feed (un)subscribes only the symbols
        that started or stopped trading on its venues, and — when ``symbols`` changed (a
        discovered universe selected again) — the shards take the symbols rendezvous hashing
        gives them now. Returns per venue ``(joined, left)`` where something moved."""
        assert self.executor is not None, "start() first"
        self.instruments.take_listings(listing)
        venues = self.conf.active_venues()
        before = self.plan
        self.plan = subscriptions(venues, list(symbols), self.instruments)
        moved = {}
        for venue in venues:
            had = set(before[venue])
            joined = [s for s in self.plan[venue] if s not in had]
            left = sorted(had - set(self.plan[venue]))
            if joined or left:
                moved[venue] = (joined, left)
                log.info("%s: listing refreshed: %d joined %s, %d left %s", venue, len(joined), joined[:10], len(left), left[:10])
        self.refreshes += 1
        gone = [(venue, symbol) for venue, (_, left) in moved.items() for symbol in left]
        self._send_listing(self.actors(), gone, timeout_s)
        if set(symbols) != set(self.conf.universe.symbols):
            self.conf = replace(self.conf, universe=replace(self.conf.universe, symbols=list(symbols)))
            after = self.assignment()
            for shard, items in after.items():
                unit = self.shards.get(shard)
                if unit is None and items:
                    self._start_shard(shard, items, timeout_s)
                    self.ensure_started(timeout_s)
                elif unit is not None:
                    self._reassign(unit, items, timeout_s)
        return moved

    def _send_listing(self, actors: Sequence[Actor], gone: list[tuple[str, str]], timeout_s: float) -> None:
        """Every actor of ``actors`` takes the listing in force (feeds: their venues' symbols)."""
        items = self.instruments  # pickled compressed (Instruments.__reduce__)
        chosen = {id(actor) for actor in actors}
        refs: list[ObjectRef[None] | ObjectRef[dict[str, list[list[str]]]]] = []
        for unit in self.shards.values():
            for venues, feed in unit.feeds.items():
                if id(feed) in chosen:
                    refs.append(feed.set_listing.remote({v: self.plan[v] for v in venues}))
            if id(unit.scanner) in chosen:
                refs.append(unit.scanner.set_listing.remote(items, gone))
        if self.executor is not None and id(self.executor) in chosen:
            refs.append(self.executor.set_listing.remote(items))
        for ref in refs:
            try:
                ray.get(ref, timeout=timeout_s)
            except (*ACTOR_DOWN, ray.exceptions.GetTimeoutError) as exc:
                log.warning("listing refresh: an actor did not take it (%s); it gets it when it restarts", exc)

    # -- growing and shrinking --------------------------------------------------------------
    def add_shard(self, timeout_s: float = 60.0, handover_s: float = 30.0) -> Resize:
        """A node joined: a new shard (the smallest unused id) takes the symbols rendezvous
        hashing now gives it — about 1/(n+1), from every shard alike. Its actors start and
        subscribe exactly those; once their books are live (at most ``handover_s``: make
        before break) the shards they came from unsubscribe them. No other actor restarts
        and no other symbol is resubscribed."""
        assert self.executor is not None, "start() first"
        shard = next(i for i in range(len(self.shard_ids) + 1) if i not in self.shard_ids)
        ids = sorted([*self.shard_ids, shard])
        before, after = self.assignment(), self.assignment(ids)
        moved = moves(before, after)
        self.shard_ids = ids
        ray.get(self.executor.set_shards.remote(ids), timeout=timeout_s)
        if after[shard]:
            unit = self._start_shard(shard, after[shard], timeout_s)
            self.ensure_started(timeout_s)
            self._await_live(list(unit.feeds.values()), handover_s)
        for old, unit in list(self.shards.items()):
            if old != shard:
                self._reassign(unit, after[old], timeout_s)
        return Resize(shard, moved)

    def remove_shard(self, shard: int | None = None, timeout_s: float = 60.0, handover_s: float = 30.0) -> Resize:
        """A node leaves: shard ``shard`` (default: the highest id) hands its symbols to the
        others — each to the one rendezvous hashing now picks — whose feeds subscribe them on
        connections of their own; once those books are live (at most ``handover_s``), the
        shard's actors stop. Nothing else moves."""
        assert self.executor is not None, "start() first"
        shard = max(self.shard_ids) if shard is None else shard
        if shard not in self.shard_ids or len(self.shard_ids) < 2:
            raise ValueError(f"cannot remove shard {shard} of {self.shard_ids} (the last shard stays)")
        ids = [i for i in self.shard_ids if i != shard]
        before, after = self.assignment(), self.assignment(ids)
        moved = moves(before, after)
        gaining = []
        for other in ids:
            unit = self.shards.get(other)
            if unit is None and after[other]:  # an empty shard gets its first symbols
                unit = self._start_shard(other, after[other], timeout_s)
                self.ensure_started(timeout_s)
            if unit is not None and set(after[other]) != set(unit.symbols):
                self._reassign(unit, after[other], timeout_s)
                gaining += list(unit.feeds.values())
        self._await_live(gaining, handover_s)
        self.shard_ids = ids
        ray.get(self.executor.set_shards.remote(ids), timeout=timeout_s)
        leaving = self.shards.pop(shard, None)
        if leaving is not None:
            self._stop_shard(leaving)
        return Resize(shard, moved)

    def _reassign(self, unit: Shard, symbols: list[str], timeout_s: float) -> None:
        """Give a running shard a new symbol list: its feeds (un)subscribe the difference, its
        scanner forgets the symbols that left."""
        gone = sorted(set(unit.symbols) - set(symbols))
        if set(symbols) == set(unit.symbols):
            return
        unit.symbols = list(symbols)
        ray.get([feed.set_symbols.remote(list(symbols)) for feed in unit.feeds.values()], timeout=timeout_s)
        if gone:
            ray.get(unit.scanner.forget.remote(gone), timeout=timeout_s)

    def _await_live(self, feeds: list[FeedHandle], timeout_s: float) -> bool:
        """Until every book of ``feeds`` is live (False after ``timeout_s``)."""
        deadline = time.monotonic() + timeout_s
        while feeds:
            health: list[FeedHealth] = []
            answered = True
            for ref in [feed.health.remote() for feed in feeds]:
                try:
                    answer = ray.get(ref, timeout=10)
                except (*ACTOR_DOWN, ray.exceptions.GetTimeoutError):
                    answered = False  # restarting or slow: its books are not live yet
                    continue
                health += answer
            if answered and all(h["started"] and h.get("live", 0) >= h.get("symbols", 1) for h in health):
                return True
            if time.monotonic() > deadline:
                log.warning("handover: not every moved book is live after %g s; going on", timeout_s)
                return False
            time.sleep(0.2)
        return True

    def _stop_shard(self, unit: Shard) -> None:
        for ref in [feed.stop.remote() for feed in unit.feeds.values()] + [unit.scanner.stop.remote()]:
            try:
                ray.get(ref, timeout=10)
            except ray.exceptions.RayError as exc:
                log.warning("stopping shard %s: %s", unit.id, exc)
        for actor in [unit.scanner, *unit.feeds.values()]:
            try:
                kill(actor)
            except (ray.exceptions.RayError, ValueError) as exc:
                log.warning("killing an actor of shard %s: %s", unit.id, exc)
        try:
            remove_placement_group(unit.group)
        except (ray.exceptions.RayError, ValueError) as exc:
            log.warning("removing shard %s's placement group: %s", unit.id, exc)

    # -- reading ----------------------------------------------------------------------------
    def health(self) -> list[FeedHealth]:
        """Per feed actor and venue: its feed's health (``{"started": False, "down": True}``
        per venue of an actor that does not answer)."""
        out: list[FeedHealth] = []
        feeds = [(venues, feed) for unit in self.shards.values() for venues, feed in unit.feeds.items()]
        for (venues, _), ref in zip(feeds, [feed.health.remote() for _, feed in feeds]):
            try:
                answer = ray.get(ref, timeout=10)
            except (*ACTOR_DOWN, ray.exceptions.GetTimeoutError):
                answer = [{"venue": venue, "started": False, "down": True} for venue in venues]
            out += answer
        return out

    def state(self) -> ExecutorState:
        assert self.executor is not None, "start() first"
        return ray.get(self.executor.state.remote(), timeout=30)

    def scanner_stats(self) -> list[ScannerStats]:
        return ray.get([s.stats.remote() for s in self.scanners], timeout=30)

    def drain_traces(self) -> list[tuple[str, str, int, int]]:
        """Every scanner's traced decisions since the last call (``trace=True``)."""
        return [row for rows in ray.get([s.drain_trace.remote() for s in self.scanners], timeout=30) for row in rows]

    def processes(self) -> list[ActorProcess]:
        """Each actor's process (pid, CPU seconds, peak memory), tagged with its role."""
        roles: list[tuple[str, int | None]] = [("executor", None)] if self.executor is not None else []
        roles += [("scanner", shard) for shard in self.shards]
        roles += [(f"feed:{'+'.join(venues)}", unit.id) for unit in self.shards.values() for venues in unit.feeds]
        out: list[ActorProcess] = []
        for (role, shard), ref in zip(roles, [a.process.remote() for a in self.actors()]):
            try:
                stats = ray.get(ref, timeout=10)
            except (*ACTOR_DOWN, ray.exceptions.GetTimeoutError):
                out.append({"role": role, "shard": shard, "down": True})
                continue
            out.append({"role": role, "shard": shard, **stats})
        return out

    # -- stopping -------------------------------------------------------------------------
    def stop_feeds_and_drain(self) -> None:
        """Close the feeds (no new decision), then let the executor finish the orders open at
        the venues (live) — the first half of :meth:`stop`, for a final state that is final."""
        for ref in [f.stop.remote() for f in self.feeds]:
            try:
                ray.get(ref, timeout=10)
            except ray.exceptions.RayError as exc:  # includes timeouts and dead actors
                log.warning("stopping a feed: %s", exc)
        if self.executor is not None:  # live: the orders at the venues finish first
            try:
                still_open = ray.get(self.executor.drain.remote(), timeout=30)
                if still_open:
                    log.warning("%d orders still open at the venues: they are in the journal; live.resume=true continues them",
                                still_open)
            except ray.exceptions.RayError as exc:
                log.warning("draining the executor: %s", exc)

    def stop(self) -> None:
        """Close the feeds, then kill every actor and free the placement groups — each step
        whatever happened to the others (a half-stopped topology would keep trading)."""
        self.stop_feeds_and_drain()
        for ref in [s.stop.remote() for s in self.scanners]:
            try:
                ray.get(ref, timeout=10)
            except ray.exceptions.RayError as exc:
                log.warning("stopping a scanner: %s", exc)
        for actor in self.actors():
            try:
                kill(actor)
            except (ray.exceptions.RayError, ValueError) as exc:
                log.warning("killing an actor: %s", exc)
        for group in self.groups:
            try:
                remove_placement_group(group)
            except (ray.exceptions.RayError, ValueError) as exc:
                log.warning("removing a placement group: %s", exc)
