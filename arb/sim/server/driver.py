"""Drive simulated venues from a :class:`~arb.sim.market.MarketModel` in real time.

:class:`MarketDriver` steps one model for every venue: each wake-up it moves the market to
``start + elapsed × speed`` (the model runs every time step due, so the market does not
depend on when the timer fires), publishes the changes to their venue servers and flushes
each server once. Frames are stamped with the wall clock at publication (``clock``), not
model time, so clients judge staleness as they would live.

With a tape (:meth:`MarketDriver.prepare`, see :mod:`arb.sim.server.tape`) the first part
of the market is played from precomputed changes; the live model takes over where the
tape ends. ``advance(ms)`` steps the same way without a timer (tests, ``speed=None``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping

from arb.sim.market import MarketModel
from arb.sim.server.tape import TapeEntry, record, stamp_for
from arb.sim.server.venue import VenueServer

#: The timer never wakes more often than this (seconds).
MIN_INTERVAL_S = 0.001
#: Wall time's worth of market one wake-up serves at most (seconds).
MAX_CHUNK_S = 0.02


class MarketDriver:
    """Publishes ``model``'s changes to ``servers`` (by venue name).

    ``position_ns`` is the market time served so far (the model itself may stand further
    ahead while a tape plays).
    """

    def __init__(
        self,
        model: MarketModel,
        servers: Mapping[str, VenueServer],
        speed: float | None = 1.0,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        if speed is not None and speed <= 0:
            raise ValueError(f"speed must be positive (or None for manual stepping), got {speed}")
        self.model = model
        self.servers = dict(servers)
        self.speed = speed
        self.clock = clock
        self.position_ns = model.now_ns
        self.tape: list[TapeEntry] = []
        self._next = 0
        #: Changes published so far (taped and live).
        self.changes = 0
        #: How far the served market trails the requested speed (ns of market time).
        self.lagging_ns = 0

    def prepare(self, model_s: float) -> int:
        """Record ``model_s`` of market ahead of serving (CPU-bound; call before clients
        connect). Frames are stamped for serving to start at the model's start time."""
        for server in self.servers.values():
            server.begin_tape()
        stamp = stamp_for(self.model.start_ns, self.speed)
        self.tape = record(self.model, self.servers, self.model.now_ns + round(model_s * 1e9), stamp)
        self._next = 0
        for server in self.servers.values():
            server.play_tape()
        return len(self.tape)

    def step_to(self, model_ns: int) -> int:
        """Serve the market up to ``model_ns``; returns the number of changes published."""
        n = 0
        tape = self.tape
        if self._next < len(tape):
            servers = self.servers
            i = self._next
            end = len(tape)
            while i < end and tape[i].model_ns <= model_ns:
                entry = tape[i]
                servers[entry.venue].publish_entry(entry)
                i += 1
            n += i - self._next
            self._next = i
            if i == end:
                for server in servers.values():
                    server.end_tape()
                self.tape = []
                self._next = 0
        if not self.tape and model_ns > self.model.now_ns:
            changes = self.model.step(model_ns)
            if changes:
                ts = self.clock()
                servers = self.servers
                for change in changes:
                    venue = servers.get(change.venue)
                    if venue is not None:
                        venue.publish(change, ts)
                n += len(changes)
        if n:
            for server in self.servers.values():
                server.flush()
            self.changes += n
        self.position_ns = max(self.position_ns, model_ns)
        return n

    def advance(self, ms: float) -> int:
        """Serve ``ms`` more of market time now (no timer); returns the change count."""
        return self.step_to(self.position_ns + round(ms * 1_000_000))

    async def run(self) -> None:
        """Serve in real time at ``speed`` until cancelled."""
        if self.speed is None:
            return
        loop = asyncio.get_running_loop()
        speed = self.speed
        interval = max(self.model.tick_ns / 1e9 / speed, MIN_INTERVAL_S)
        # One wake-up serves at most this much market: a simulator that cannot keep up
        # falls behind its speed instead of starving its own sockets.
        chunk_ns = round(MAX_CHUNK_S * speed * 1e9)
        t0, m0 = loop.time(), self.position_ns
        while True:
            target = m0 + int((loop.time() - t0) * speed * 1e9)
            behind = target - self.position_ns
            if behind > chunk_ns:
                self.step_to(self.position_ns + chunk_ns)
                self.lagging_ns = behind - chunk_ns
                await asyncio.sleep(0)
            else:
                self.step_to(target)
                self.lagging_ns = 0
                await asyncio.sleep(interval)

