"""Health of a feed as plain, immutable snapshots (cheap to log, show or send elsewhere).

Built on demand by :meth:`arb.io.feed.VenueFeed.health`; nothing here updates itself.
Errors are the transport's own messages (venue, URL path, status): never a credential.
"""

from __future__ import annotations

import msgspec


class ConnectionHealth(msgspec.Struct, frozen=True, kw_only=True):
    """One connection (a link: the part of the venue's symbols it carries).

    ``state``: idle / connecting / up / backoff / circuit-open / failed / closed.
    ``last_message_age_s``: since the current session's last inbound frame (None while down).
    ``gaps`` / ``checksum_failures`` / ``resyncs``: seen on this connection's frames
    (``resyncs`` counts books it sent to resync).
    """

    index: int
    session: int | None
    state: str
    symbols: int
    last_message_age_s: float | None
    reconnects: int
    rollovers: int
    frames_in: int
    frames_out: int
    gaps: int
    checksum_failures: int
    resyncs: int
    last_error: str


class VenueHealth(msgspec.Struct, frozen=True, kw_only=True):
    """One venue's feed.

    ``state``: ``up`` (every connection up), ``degraded`` (some), ``down`` (none),
    ``circuit-open`` (the breaker holds every attempt back), ``failed`` or ``stopped``.
    ``books``: how many books are in each :class:`~arb.book.health.BookState`; only
    ``live`` ones may be scanned. ``gaps``/``checksum_failures``/``resyncs`` are the
    venue's :class:`~arb.book.sync.SyncStats` (``resyncs``: resyncs completed).
    """

    venue: str
    state: str
    connections: tuple[ConnectionHealth, ...]
    books: dict[str, int]
    messages: int
    decode_errors: int
    gaps: int
    checksum_failures: int
    resyncs: int
    snapshots_requested: int
    resubscribes: int
    rest_requests: int
    rest_failures: int
    rate_limited: int
    breaker: str
    breaker_failures: int
    breaker_opened: int
    last_error: str
