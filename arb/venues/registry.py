"""The venues arb speaks, by name: an explicit dict, no discovery magic."""

from __future__ import annotations

from arb.core.errors import ConfigError
from arb.venues import binance, coinbase, gateio, kraken, kucoin, mexc, okx
from arb.venues.base import VenueSpec

VENUES: dict[str, VenueSpec] = {
    spec.name: spec
    for spec in (binance.SPEC, gateio.SPEC, mexc.SPEC, kraken.SPEC, coinbase.SPEC, kucoin.SPEC, okx.SPEC)
}


def get(name: str) -> VenueSpec:
    try:
        return VENUES[name]
    except KeyError:
        raise ConfigError(f"unknown venue {name!r}; known: {', '.join(sorted(VENUES))}") from None
