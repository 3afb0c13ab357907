"""The venues arb speaks, by name: an explicit dict, no discovery magic."""

from __future__ import annotations

from arb.core.errors import ConfigError
from arb.venues import binance
from arb.venues.base import VenueSpec

VENUES: dict[str, VenueSpec] = {
    binance.SPEC.name: binance.SPEC,
}


def get(name: str) -> VenueSpec:
    try:
        return VENUES[name]
    except KeyError:
        raise ConfigError(f"unknown venue {name!r}; known: {', '.join(sorted(VENUES))}") from None
