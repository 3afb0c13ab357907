"""What a connection reports, as values: the inputs of a feed's sans-I/O state.

A :class:`~arb.io.connection.Connection` hands each of these to one callable (its
``report``); :class:`~arb.io.feed.VenueFeed` tees them to the recorder and passes them to
:meth:`~arb.io.feed_state.FeedState.on_event`. ``link`` is the connection's index within the
feed, ``session`` the websocket's ``conn`` id (as in recordings). Every event carries the
time it happened on the clocks the feed uses: ``ts_ns`` wall ns (stamps frames and
records) and/or ``mono_s`` monotonic seconds (drives timers).
"""

from __future__ import annotations

import msgspec


class Opened(msgspec.Struct, frozen=True, gc=False):
    """A session's websocket opened (``rollover``: it will take over from a live one)."""

    link: int
    session: int
    url: str
    ts_ns: int
    mono_s: float
    rollover: bool


class Subscribed(msgspec.Struct, frozen=True, gc=False):
    """The session's subscribe frames were sent."""

    link: int
    session: int
    mono_s: float
    rollover: bool


class Received(msgspec.Struct, frozen=True, gc=False):
    """One inbound frame, as it came off the socket."""

    link: int
    session: int
    frame: str | bytes
    ts_ns: int
    mono_s: float


class Sent(msgspec.Struct, frozen=True, gc=False):
    """A frame went out (``ts_ns``: when the send completed)."""

    link: int
    session: int
    frame: str
    ts_ns: int


class Closed(msgspec.Struct, frozen=True, gc=False):
    """A session ended. ``error``: why (None: we closed it); ``rollover``: a newer session of
    this link had already taken over, so the books lost nothing."""

    link: int
    session: int
    error: str | None
    mono_s: float
    rollover: bool


LinkEvent = Opened | Subscribed | Received | Sent | Closed
