"""Transport: websocket and REST I/O for the venue feeds (asyncio, websockets, aiohttp).

The only package (with :mod:`arb.sim`'s servers) that touches the network. It knows no
venue by name: everything venue-specific comes from a :class:`~arb.venues.base.VenueSpec`.

- :mod:`~arb.io.feed_state` — :class:`~arb.io.feed_state.FeedState`: one venue's books and
  the policies that keep them correct (resyncs, reconnects, staleness), sans-I/O: events in,
  actions out. :mod:`~arb.io.staleness` — the staleness rule alone, for replay hosts too.
- :mod:`~arb.io.feed` — :class:`VenueFeed`: the asyncio shell that runs a feed state over
  its connections and REST client.
- :mod:`~arb.io.connection` — one supervised websocket link (pings, idle, reconnect,
  roll-over), reporting :mod:`~arb.io.events` values.
- :mod:`~arb.io.options` — feed and connection settings.
- :mod:`~arb.io.rest` — REST calls within a rate budget, honouring Retry-After.
- :mod:`~arb.io.backoff`, :mod:`~arb.io.breaker`, :mod:`~arb.io.ratelimit` — the policies.
- :mod:`~arb.io.errors` — transport failures, classified retryable or fatal in one place.
- :mod:`~arb.io.health` — health snapshots; :mod:`~arb.io.clock` — injected time.
"""

from arb.io.feed import FeedOptions, Recorder, VenueFeed

__all__ = ["FeedOptions", "Recorder", "VenueFeed"]
