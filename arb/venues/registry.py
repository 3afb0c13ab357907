"""The venues arb speaks, by name: the one list, an explicit tuple of packages (no discovery).

Every venue is a package ``arb/venues/<name>/`` exposing ``SPEC`` (its market-data
:class:`~arb.venues.base.VenueSpec`) and ``Encoder`` (its wire encoder). Every other list of
venues derives from :data:`NAMES` (``arb.config.VENUE_NAMES``, the simulator's protocols in
:mod:`arb.sim.server.registry`) or is checked against it by tests (the market profiles of
:mod:`arb.sim.presets`, the import-linter independence contract, the ``conf/`` YAML files:
tests/venues/test_registry.py, tests/sim). Adding a venue means adding its package here and
its row to the venue-contract tests (``tests/venues/rows/<venue>.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from arb.core.errors import ConfigError
from arb.venues import binance, coinbase, gateio, kraken, kucoin, mexc, okx
from arb.venues.base import VenueSpec
from arb.venues.markets import MarketsSpec
from arb.venues.trading import TradingSpec
from arb.venues.wire import EncoderFactory


@dataclass(frozen=True)
class Venue:
    """One venue package's entry points."""

    spec: VenueSpec
    encoder: EncoderFactory
    #: The package's module name, ``arb.venues.<name>``.
    package: str
    #: Public listings (instruments, tickers) and trading requests.
    markets: MarketsSpec | None = None
    trading: TradingSpec | None = None

    @property
    def name(self) -> str:
        return self.spec.name


def _venue(package: ModuleType) -> Venue:
    venue = Venue(package.SPEC, package.Encoder, package.__name__, getattr(package, "MARKETS", None), getattr(package, "TRADING", None))
    if venue.package != f"arb.venues.{venue.name}":
        raise ConfigError(f"venue {venue.name!r} lives in {venue.package}, not arb.venues.{venue.name}")
    return venue


#: Name → venue, in the order the venues are listed everywhere.
REGISTRY: dict[str, Venue] = {v.name: v for v in map(_venue, (binance, gateio, mexc, kraken, coinbase, kucoin, okx))}
NAMES: tuple[str, ...] = tuple(REGISTRY)
#: Name → market-data spec.
VENUES: dict[str, VenueSpec] = {name: v.spec for name, v in REGISTRY.items()}
#: Name → ``Encoder(symbols, depth)`` for one connection.
ENCODERS: dict[str, EncoderFactory] = {name: v.encoder for name, v in REGISTRY.items()}


def _unknown(name: str) -> ConfigError:
    return ConfigError(f"unknown venue {name!r}; known: {', '.join(sorted(REGISTRY))}")


def get(name: str) -> VenueSpec:
    """The spec of venue ``name``; :class:`ConfigError` names the known ones."""
    try:
        return VENUES[name]
    except KeyError:
        raise _unknown(name) from None


def encoder(name: str) -> EncoderFactory:
    """The wire encoder class of venue ``name``; :class:`ConfigError` names the known ones."""
    try:
        return ENCODERS[name]
    except KeyError:
        raise _unknown(name) from None


def trading(name: str) -> TradingSpec:
    """The trading requests of venue ``name``; :class:`ConfigError` when it has none yet."""
    venue = REGISTRY.get(name)
    if venue is None:
        raise _unknown(name)
    if venue.trading is None:
        raise ConfigError(f"{name}: arb cannot trade on this venue yet (no trading requests)")
    return venue.trading


def markets(name: str) -> MarketsSpec:
    """The public listing requests of venue ``name``; :class:`ConfigError` when it has none yet."""
    venue = REGISTRY.get(name)
    if venue is None:
        raise _unknown(name)
    if venue.markets is None:
        raise ConfigError(f"{name}: arb cannot read this venue's instruments yet")
    return venue.markets
