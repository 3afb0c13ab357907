"""How a feed and its connections run: plain, validated settings (seconds unless named otherwise).

Pure data, shared by the sans-I/O :class:`~arb.io.feed_state.FeedState` and the asyncio
shells (:class:`~arb.io.feed.VenueFeed`, :class:`~arb.io.connection.Connection`), which
re-export these names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from arb.core.errors import ConfigError


@dataclass
class ConnectionOptions:
    """Transport settings (seconds)."""

    open_timeout_s: float = 10.0
    #: No inbound frame for this long → the session is dead. Must exceed the venue's ping
    #: interval (its pings are answered) or heartbeat period.
    idle_timeout_s: float = 30.0
    #: Protocol-level pings (the websocket library); None disables them.
    protocol_ping_interval_s: float | None = 20.0
    protocol_ping_timeout_s: float | None = 20.0
    close_timeout_s: float = 2.0
    #: ``"deflate"`` offers permessage-deflate (the venue decides); None saves CPU on
    #: loopback (measured: ~105K vs ~144K msgs/s in DEPENDENCIES.md).
    compression: str | None = "deflate"
    #: Largest inbound frame (Coinbase full-book snapshots run to megabytes).
    max_frame_bytes: int = 64 * 2**20
    #: A session that lived this long resets the backoff (a flapping venue keeps backing off).
    stable_after_s: float = 30.0
    #: Roll a session this long before the venue's max connection age (at most half of it).
    rollover_lead_s: float = 600.0
    #: How long old and new session both feed the books during a make-before-break roll.
    rollover_overlap_s: float = 2.0

    def __post_init__(self) -> None:
        for name in ("open_timeout_s", "idle_timeout_s", "close_timeout_s", "rollover_overlap_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")


@dataclass
class FeedOptions:
    """How a feed runs (seconds unless named otherwise). URLs override the venue's own — a
    venue's config can point at a simulator."""

    ws_url: str | None = None
    rest_url: str | None = None
    #: Book depth (None: the venue's). Without credentials, KuCoin books are cut to 100.
    depth: int | None = None
    #: Cap on symbols per connection, below the venue's own cap (None: the venue's).
    max_symbols_per_connection: int | None = None
    stale_after_s: float = 5.0
    #: How often books are checked for staleness and stuck resyncs.
    sweep_interval_s: float = 0.25
    #: Longest wait for a book's first buffered delta before asking for its REST snapshot.
    snapshot_wait_s: float = 1.0
    resync_timeout_s: float = 10.0
    #: A book's resync backoff starts over after this long without a resync.
    resync_reset_s: float = 60.0
    resubscribe_attempts: int = 3
    rest_timeout_s: float = 10.0
    rest_retries: int = 3
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 30.0
    breaker_threshold: int = 10
    breaker_cooldown_s: float = 300.0
    connection: ConnectionOptions = field(default_factory=ConnectionOptions)

    def __post_init__(self) -> None:
        for name in ("stale_after_s", "sweep_interval_s", "resync_timeout_s", "rest_timeout_s", "backoff_base_s", "breaker_cooldown_s"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"feeds.{name} must be positive (got {getattr(self, name)})")
        for name in ("snapshot_wait_s", "resync_reset_s", "rest_retries"):
            if getattr(self, name) < 0:
                raise ConfigError(f"feeds.{name} must not be negative (got {getattr(self, name)})")
        if self.backoff_cap_s < self.backoff_base_s or self.breaker_threshold < 1 or self.resubscribe_attempts < 1:
            raise ConfigError("feeds: need backoff_cap_s >= backoff_base_s, breaker_threshold >= 1, resubscribe_attempts >= 1")
        if self.depth is not None and self.depth <= 0:
            raise ConfigError(f"feeds.depth must be positive (got {self.depth})")
