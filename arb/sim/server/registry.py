"""The server-side venue protocols by venue name: an explicit dict, no discovery magic."""

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

PROTOCOLS: dict[str, type[VenueProtocol]] = {
    p.name: p
    for p in (BinanceProtocol, GateioProtocol, MexcProtocol, KrakenProtocol, CoinbaseProtocol, KucoinProtocol, OkxProtocol)
}


def get(name: str) -> type[VenueProtocol]:
    """The protocol class of venue ``name``; :class:`ConfigError` names the known ones."""
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise ConfigError(f"no simulator for venue {name!r}; known: {', '.join(sorted(PROTOCOLS))}") from None
