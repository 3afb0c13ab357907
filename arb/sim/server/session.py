"""One client connection of a simulated venue: what it streams and what waits to be sent.

Writes are batched: :meth:`Session.send` queues wire bytes and :meth:`Session.flush`
writes them in one ``transport.write`` (the venue server flushes every session it touched
once per market step), so a burst of deltas costs one system call per connection.

A session can be *stalled* (nothing is written or read until a deadline; what was sent
meanwhile is held and written afterwards) and can hold one frame back to deliver it
after the next one (a reordered frame). A consumer too slow to drain its socket
(``max_buffer_bytes`` pending) is cut off, as venues do.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from websockets.protocol import State

from arb.sim.server.frames import Numbered, Out

if TYPE_CHECKING:
    from websockets.asyncio.server import ServerConnection

    from arb.sim.server.protocol import Window

log = logging.getLogger(__name__)

_OPEN = State.OPEN


class Session:
    """Server side of one websocket connection.

    ``number`` is the next per-connection message number (Coinbase ``sequence_num``);
    ``streams`` the stream keys it is subscribed to; ``state`` free room for the venue
    protocol (Coinbase heartbeats, Gate obu streams …).
    """

    __slots__ = (
        "conn_id", "ws", "transport", "path", "opened_ns", "streams", "state", "number",
        "_out", "_stalled", "_held", "max_buffer_bytes", "frames_sent", "bytes_sent", "closed",
        "_dirty", "last_send", "limiter",
    )

    def __init__(self, conn_id: int, ws: ServerConnection, path: str, opened_ns: int, dirty: set[Session], max_buffer_bytes: int) -> None:
        self.conn_id = conn_id
        self.ws = ws
        self.transport: asyncio.Transport = ws.transport
        self.path = path
        self.opened_ns = opened_ns
        self.streams: set[Any] = set()
        self.state: dict[str, Any] = {}
        self.number = 0
        self._out: list[bytes] = []
        self._stalled: list[bytes] | None = None
        self._held: bytes | None = None
        self._dirty = dirty
        self.max_buffer_bytes = max_buffer_bytes
        self.frames_sent = 0
        self.bytes_sent = 0
        self.closed = False
        self.last_send = 0.0
        #: The venue's client-message budget for this connection (None: no limit enforced).
        self.limiter: Window | None = None

    # -- sending --------------------------------------------------------------------------
    def send(self, out: Out) -> None:
        """Queue one frame (written at the next :meth:`flush`)."""
        if self.closed:
            return
        if type(out) is Numbered:
            data = out.render(self.number)
            self.number += 1
        else:
            data = out
        if self._held is not None:
            self._out.append(data)
            data, self._held = self._held, None
        self._out.append(data)
        self._dirty.add(self)

    def skip_number(self) -> None:
        """Spend one message number without sending (a lost Coinbase message)."""
        self.number += 1

    def hold(self, out: Out) -> None:
        """Queue ``out`` to go after the next frame (a reordered frame)."""
        if self.closed:
            return
        if type(out) is Numbered:
            data = out.render(self.number)
            self.number += 1
        else:
            data = out
        if self._held is not None:
            self._out.append(self._held)
        self._held = data
        self._dirty.add(self)

    def release(self) -> None:
        """Send a held-back frame now (no next frame came)."""
        if self._held is not None and not self.closed:
            self._out.append(self._held)
            self._held = None
            self._dirty.add(self)

    def flush(self, now: float) -> int:
        """Write what is queued; returns the number of frames written."""
        out = self._out
        if not out or self.closed:
            out.clear()
            return 0
        if self._stalled is not None:
            self._stalled += out
            out.clear()
            return 0
        if self.ws.protocol.state is not _OPEN:
            out.clear()
            return 0
        n = len(out)
        data = out[0] if n == 1 else b"".join(out)
        out.clear()
        transport = self.transport
        transport.write(data)
        self.frames_sent += n
        self.bytes_sent += len(data)
        self.last_send = now
        if transport.get_write_buffer_size() > self.max_buffer_bytes:
            log.warning("conn %s: client too slow (%d bytes pending); cutting it off", self.conn_id, transport.get_write_buffer_size())
            self.abort()
        return n

    # -- faults ---------------------------------------------------------------------------
    def abort(self) -> None:
        """Cut the connection: no close frame, the socket just goes away."""
        if not self.closed:
            self.closed = True
            self._out.clear()
            self.transport.abort()

    @property
    def stalled(self) -> bool:
        return self._stalled is not None

    def stall(self) -> None:
        """Stop writing and reading until :meth:`unstall`."""
        if self._stalled is None and not self.closed:
            self._stalled = []
            self.transport.pause_reading()

    def unstall(self, now: float) -> None:
        """Resume: write everything held back during the stall, read again."""
        held, self._stalled = self._stalled, None
        if held is None or self.closed:
            return
        self._out[:0] = held
        self.flush(now)
        if not self.closed:
            self.transport.resume_reading()

    def buffered(self) -> int:
        """Bytes waiting in the transport (the client is behind)."""
        return 0 if self.closed else self.transport.get_write_buffer_size()
