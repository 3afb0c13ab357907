"""Serve a recording: its websocket frames on a timeline, its REST bodies on request.

A :class:`ReplaySource` holds one venue's records of one or more "arb recording v1"
files. Its :func:`run_replay` timeline belongs to the venue server, like a live venue's:

- it starts when the first client connects, and pauses whenever none is connected (so no
  frame is served to nobody, as fast as possible or not);
- each recorded ``ws`` frame goes to every connected client — all recorded connections of
  the venue are merged onto each client connection — with the original spacing scaled by
  ``speed`` (None: as fast as the clients read, with backpressure);
- a ``connect`` record for a connection id seen before (the recorder reconnected) cuts the
  clients off; the timeline resumes when one is back;
- a REST request gets the recorded body for the same path and symbol: the latest one
  recorded at or before the frame last served, else the first (the client's books buffer
  deltas, so an early snapshot still syncs as it did when recorded).

Clients' own frames are not replayed: subscriptions are ignored (the recorded acks and
snapshots are in the stream) and only application pings are answered.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from arb.record.reader import RecordingReader
from arb.venues.registry import get as get_spec
from arb.venues.wire import Frame

if TYPE_CHECKING:
    from arb.sim.server.venue import VenueServer

#: Frames served between flushes (and backpressure checks) when replaying at full speed.
_BATCH = 256
#: A client with more than this waiting in its socket buffer holds the replay back.
_HIGH_WATER = 1 << 20


class ReplaySource:
    """The ``ws``/``connect`` records (in file order) and REST bodies of one venue."""

    def __init__(self, venue: str, speed: float | None = None) -> None:
        self.venue = venue
        self.speed = speed
        self.symbol_param = get_spec(venue).snapshot_symbol_param
        #: ``(ts, kind, conn, frame)`` with kind ``ws`` or ``connect`` (whose frame is ``""``).
        self.items: list[tuple[int, str, int | None, Frame]] = []
        self.rest: dict[tuple[str, str | None], list[tuple[int, str]]] = {}
        self.symbols: list[str] = []
        #: Frames served so far; ``done`` is set when the whole recording has been served.
        self.served = 0
        self.done = asyncio.Event()

    def rest_body(self, path: str, symbol: str | None, cursor_ts: int) -> str | None:
        """The recorded body answering ``path`` for ``symbol`` at recorded time ``cursor_ts``."""
        bodies = self.rest.get((path, symbol))
        if not bodies:
            return None
        chosen = bodies[0][1]
        for ts, body in bodies:
            if ts > cursor_ts:
                break
            chosen = body
        return chosen


def load(paths: Iterable[str | os.PathLike[str]], speed: float | None = None) -> dict[str, ReplaySource]:
    """One :class:`ReplaySource` per venue found in ``paths`` (read in order, as one stream)."""
    sources: dict[str, ReplaySource] = {}
    for path in paths:
        with RecordingReader(path) as reader:
            header_symbols = list(reader.header.symbols)
            for record in reader:
                source = sources.get(record.venue)
                if source is None:
                    source = sources[record.venue] = ReplaySource(record.venue, speed)
                if record.kind == "ws":
                    source.items.append((record.ts, "ws", record.conn, record.payload))
                elif record.kind == "connect":
                    source.items.append((record.ts, "connect", record.conn, ""))
                elif record.kind == "rest" and record.url is not None and record.data is not None:
                    parts = urlsplit(record.url)
                    symbol = parse_qs(parts.query).get(source.symbol_param, [None])[0]
                    source.rest.setdefault((parts.path, symbol), []).append((record.ts, record.data))
            for source in sources.values():
                if reader.header.venue in (None, source.venue):
                    source.symbols += [s for s in header_symbols if s not in source.symbols]
    return sources


async def run_replay(server: VenueServer, source: ReplaySource) -> None:
    """Serve ``source`` through ``server`` (see the module docstring); returns when done."""
    loop = asyncio.get_running_loop()
    items = source.items
    speed = source.speed
    seen: set[int | None] = set()
    i = 0
    while i < len(items):
        await server.wait_for_session()
        t0, base = loop.time(), items[i][0]
        batch = 0
        while i < len(items) and server.connected:
            ts, kind, conn, frame = items[i]
            if kind == "connect":
                i += 1
                if conn in seen:
                    server.flush()
                    server.drop_connections()
                    await server.wait_for_no_session()
                    break
                seen.add(conn)
                continue
            if speed:
                delay = t0 + (ts - base) / 1e9 / speed - loop.time()
                if delay > 0:
                    server.flush()
                    await asyncio.sleep(delay)
                    continue
            server.cursor_ts = ts
            server.publish_frame(frame)
            source.served += 1
            i += 1
            batch += 1
            if batch >= _BATCH:
                batch = 0
                server.flush()
                await asyncio.sleep(0)
                # Socket buffers signal no event when they drain: poll them (noqa below).
                while server.connected and max((s.buffered() for s in server.sessions.values()), default=0) > _HIGH_WATER:  # noqa: ASYNC110
                    await asyncio.sleep(0.001)
        server.flush()
    source.done.set()
