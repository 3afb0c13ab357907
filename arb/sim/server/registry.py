"""The server-side venue protocols, keyed by the venue registry's names (no list of its own).

Each protocol class names its venue (``VenueProtocol.name``); :data:`PROTOCOLS` maps the names
of :data:`arb.venues.registry.NAMES`, in that order, to their classes. A class naming a venue
the registry does not know is left out (``tests/sim/server/test_registry.py`` checks that
every registered venue has exactly one protocol and no protocol is left out).
"""

from __future__ import annotations

from arb.core.errors import ConfigError
from arb.sim.server.binance import BinanceProtocol
from arb.sim.server.coinbase import CoinbaseProtocol
from arb.sim.server.gateio import GateioProtocol
from arb.sim.server.kraken import KrakenProtocol
from arb.sim.server.kucoin import KucoinProtocol
from arb.sim.server.mexc import MexcProtocol
from arb.sim.server.okx import OkxProtocol
from arb.sim.server.protocol import VenueProtocol
from arb.venues.registry import NAMES

#: Every protocol class the simulator has.
CLASSES: tuple[type[VenueProtocol], ...] = (
    BinanceProtocol, CoinbaseProtocol, GateioProtocol, KrakenProtocol, KucoinProtocol, MexcProtocol, OkxProtocol,
)
PROTOCOLS: dict[str, type[VenueProtocol]] = {
    name: protocol for name in NAMES for protocol in CLASSES if protocol.name == name
}


def get(name: str) -> type[VenueProtocol]:
    """The protocol class of venue ``name``; :class:`ConfigError` names the known ones."""
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise ConfigError(f"no simulator for venue {name!r}; known: {', '.join(sorted(PROTOCOLS))}") from None
