"""Loopback venue simulators: each venue's real wire protocol, driven by the market model or
a recording, with seeded fault injection.

::

    async with SimulatedVenues(SimConfig(market=presets.seven_venues(20), seed=7)) as sims:
        venue_conf.ws_url, venue_conf.rest_url = sims["okx"].ws_url, sims["okx"].rest_url
        sims["okx"].book("BTC/USDT")          # the true book now
        sims["okx"].inject("gap", "BTC/USDT")  # or FaultConfig rates, per venue

- :class:`SimulatedVenues` / :class:`SimConfig` — a set of venue servers in one asyncio
  loop: market mode (one model, stepped in real time at ``speed``, or by hand with
  ``advance``; ``prepare_s`` precomputes a tape for high rates) or replay mode
  (``recordings``).
- :class:`VenueServer` / :class:`ServerOptions` — one venue: websocket + REST server,
  streams, sequencing, faults, ``on_send`` hook.
- :class:`FaultConfig` / :class:`FaultPlan` — per-venue fault rates and their seeded
  schedule (drops, stalls, gaps, bad checksums, malformed, duplicated and reordered frames,
  slow REST, 429).

Per-venue protocol logic lives in one module each (``binance.py`` …, listed in
:mod:`arb.sim.server.registry`).
"""

from arb.sim.server.faults import REST_FAULTS, STREAM_FAULTS, FaultConfig, FaultPlan
from arb.sim.server.supervisor import SimConfig, SimulatedVenues
from arb.sim.server.venue import SendHook, ServerOptions, VenueServer

__all__ = [
    "REST_FAULTS", "STREAM_FAULTS", "FaultConfig", "FaultPlan", "SendHook", "ServerOptions", "SimConfig",
    "SimulatedVenues", "VenueServer",
]
