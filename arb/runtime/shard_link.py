"""The node-local link from a shard's feeds to its scanner: view batches over a Unix socket.

A Ray actor call costs ~0.1–0.5 ms of CPU on each side, whatever it carries; a shard's feeds
publishing every few milliseconds spent more on calls than on their books. The feeds and the
scanner of a shard share one placement-group bundle, so they are on one node: the scanner
listens on a Unix socket (:class:`ViewServer`), each feed connects once (:class:`ViewSender`)
and writes its batches as frames — a 4-byte big-endian length, then the views as :mod:`marshal`
data (prices and sizes are 10⁻¹⁸ fixed-point ints, past msgpack's 64 bits; marshal carries
them natively: ~8 µs a 20-level view there and back, pickle ~18, JSON ~35). The socket is
its owner's only (mode 0600); both ends are the same Python (marshal's format is per version,
as a Ray cluster's Python is). Ray keeps
doing what it is good at: placing, restarting and addressing the actors (a feed learns the
socket's path from the scanner with one call).

The link is plain asyncio (no Ray): a closed connection means the peer is gone — the feed
connects again and sends every book (the scanner may be a new one); the scanner serves each
connection's batches in order. Backpressure is the socket's: a feed whose scanner is behind
waits in :meth:`ViewSender.send` and conflates meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import marshal
import os
import struct
from collections.abc import Awaitable, Callable, Sequence

from arb.book.view import BookView

log = logging.getLogger(__name__)

_LENGTH = struct.Struct("!I")
#: Largest frame a scanner accepts (a batch of every book of a big shard fits many times).
MAX_FRAME_BYTES = 64 * 2**20


def encode_views(views: Sequence[BookView]) -> bytes:
    """Views as one payload (what :func:`decode_views` reads)."""
    return marshal.dumps([(v.venue, v.symbol, v.bids, v.asks, v.ts_event_ns, v.ts_recv_ns, v.seq, v.state) for v in views])


def decode_views(payload: bytes) -> list[BookView]:
    """A payload of :func:`encode_views`; raises ``ValueError``/``EOFError``/``TypeError`` for
    anything else."""
    return [BookView(*fields) for fields in marshal.loads(payload)]


class ViewServer:
    """The scanner's end: a Unix socket at ``path``; every batch received goes to
    ``on_views(views)`` (awaited: one connection's batches in order; frames that arrived
    together are handed over as one batch)."""

    def __init__(self, path: str, on_views: Callable[[list[BookView]], Awaitable[object]]) -> None:
        self.path = path
        self.on_views = on_views
        self.connections = 0
        self.frames = 0
        self.errors = 0
        self._server: asyncio.AbstractServer | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)  # left by a process that died
        self._server = await asyncio.start_unix_server(self._serve, self.path)
        os.chmod(self.path, 0o600)  # only this user's processes may feed the scanner

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._handlers):
                task.cancel()
            self._server = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self.connections += 1
        buffer = bytearray()
        try:
            while True:
                chunk = await reader.read(1 << 20)
                if not chunk:
                    return
                buffer += chunk
                views: list[BookView] = []
                while len(buffer) >= 4:
                    (size,) = _LENGTH.unpack_from(buffer)
                    if size > MAX_FRAME_BYTES:
                        raise ValueError(f"a frame of {size} bytes")
                    if len(buffer) < 4 + size:
                        break
                    views += decode_views(bytes(buffer[4 : 4 + size]))
                    del buffer[: 4 + size]
                    self.frames += 1
                if views:
                    await self.on_views(views)
        except (ValueError, EOFError, TypeError) as exc:  # not a feed of ours: drop it
            self.errors += 1
            log.warning("view link %s: unreadable frame (%s); closing that connection", self.path, exc)
        except ConnectionError:
            pass
        finally:
            self._handlers.discard(task)
            writer.close()


class ViewSender:
    """A feed's end: :meth:`connect` to a scanner's socket, :meth:`send` batches."""

    def __init__(self) -> None:
        self.path: str | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._watch: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        return self._writer is not None and not self._writer.is_closing()

    async def connect(self, path: str) -> bool:
        """Open the link to ``path``; False when nothing listens there (on this node)."""
        self.close()
        try:
            reader, writer = await asyncio.open_unix_connection(path)
        except OSError:
            return False
        self.path, self._writer = path, writer
        self._watch = asyncio.ensure_future(self._until_closed(reader, writer))
        return True

    async def send(self, views: Sequence[BookView]) -> bool:
        """Write one batch (waiting while the scanner is behind); False when the link is gone."""
        writer = self._writer
        if writer is None or writer.is_closing():
            return False
        payload = encode_views(views)
        try:
            writer.write(_LENGTH.pack(len(payload)) + payload)
            await writer.drain()
        except (ConnectionError, OSError):
            self.close()
            return False
        return True

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None

    async def _until_closed(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """The scanner never writes: end-of-stream means it is gone."""
        with contextlib.suppress(ConnectionError, OSError):
            await reader.read()
        if self._writer is writer:
            writer.close()
            self._writer = None
