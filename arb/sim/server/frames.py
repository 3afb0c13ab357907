"""Server frames on the wire: serialised once, written to every subscriber as they are.

A simulated venue sends the same payload to every connection subscribed to a stream.
Server-to-client websocket frames are not masked, so the bytes on the wire are the same
for every connection too: :func:`wire` builds them once (header + payload) and sessions
write them straight to their transport. The servers never negotiate compression
(``permessage-deflate`` would make the bytes per connection).

Coinbase numbers every message per connection (``sequence_num``): its frames are
:class:`Numbered` — a prefix and a suffix around the number, joined per session.
"""

from __future__ import annotations

import struct
from typing import final

from arb.venues.wire import Frame

_TEXT = 0x81  # FIN + text opcode
_BINARY = 0x82  # FIN + binary opcode
_SHORT = struct.Struct("!BBH")
_LONG = struct.Struct("!BBQ")


def header(length: int, binary: bool) -> bytes:
    """The header of one unmasked, unfragmented server frame of ``length`` payload bytes."""
    first = _BINARY if binary else _TEXT
    if length < 126:
        return bytes((first, length))
    if length < 65536:
        return _SHORT.pack(first, 126, length)
    return _LONG.pack(first, 127, length)


def wire(frame: Frame) -> bytes:
    """A text (``str``) or binary (``bytes``) message as the bytes of one websocket frame."""
    if isinstance(frame, str):
        payload = frame.encode()
        return header(len(payload), False) + payload
    return header(len(frame), True) + frame


def unwire(data: bytes) -> Frame:
    """The message inside the bytes of one frame built by :func:`wire`."""
    length = data[1]
    start = 2 if length < 126 else 4 if length == 126 else 10
    payload = data[start:]
    return payload if data[0] == _BINARY else payload.decode()


@final  # no subclass: ``type(out) is Numbered`` (hot paths) then tells the type checker the rest
class Numbered:
    """A text message whose per-connection number goes between ``prefix`` and ``suffix``."""

    __slots__ = ("prefix", "suffix")

    def __init__(self, prefix: str, suffix: str) -> None:
        self.prefix = prefix.encode()
        self.suffix = suffix.encode()

    def render(self, number: int) -> bytes:
        payload = b"%b%d%b" % (self.prefix, number, self.suffix)
        return header(len(payload), False) + payload

    def text(self, number: int) -> str:
        """The message as the client reads it (for tests and fault mutations)."""
        return f"{self.prefix.decode()}{number}{self.suffix.decode()}"


#: What sessions send: wire bytes, or a message numbered per connection.
Out = bytes | Numbered
