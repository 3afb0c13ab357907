"""What the simulated market looks like: symbols, venues, dislocations — plain frozen values.

Exact quantities (prices, tick and lot sizes, notionals) are decimal *text*, as a venue
would send them and as a YAML/Hydra config carries them; the model turns them into
fixed-point ints (:mod:`arb.core.numbers`). Shape parameters of the random processes
(volatility, basis points, rates) are floats: they drive the model, they are not money.

:func:`validate` returns every problem as ``"key: what is wrong"`` (empty when the config
is usable), so a config layer can report them all at once, naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from arb.core.errors import SymbolError
from arb.core.numbers import parse_fixed
from arb.core.symbols import split


@dataclass(frozen=True)
class SymbolConfig:
    """One symbol of the universe and how its fair price moves.

    ``tick_size``/``lot_size`` are the finest venue's increments; a venue multiplies them
    (:attr:`VenueConfig.tick_multiplier`). ``volatility`` is annualised (log price);
    ``activity`` the chance that a venue's update window touches this symbol's book when
    its top did not move (busy symbols near 1, quiet ones lower). ``update_every``: the
    symbol's books are updated in every n-th update window of a venue only (1: every
    window; a long-tail symbol publishing once a second on a 100 ms venue: 10).
    """

    symbol: str
    price: str
    tick_size: str
    lot_size: str
    volatility: float = 0.6
    activity: float = 0.8
    update_every: int = 1


@dataclass(frozen=True)
class VenueConfig:
    """How one venue quotes every symbol.

    - ``lag_ms``: the venue sees the fair price this much later (lead/lag);
      ``noise_bps``/``noise_half_life_s``: its own mean-reverting deviation from fair.
    - ``half_spread_bps``: distance of the best bid/ask from the venue's mid (at least one
      tick apart); ``levels`` per side, spaced ``level_spacing_bps`` apart after the top;
      ``top_notional`` (quote) at the top, each level deeper ``size_growth`` more.
    - ``update_interval_ms``: how often the venue publishes (a book is updated in a window
      when its top moved, else with the symbol's ``activity``), ``changes_per_update``: the
      mean number of level sizes that change in one update besides the top's moves,
      ``delete_probability``: the chance such a change removes a deeper level.
    - ``tick_multiplier``/``lot_multiplier``: this venue's increments relative to the
      symbol's (the tick multiplier, a power of ten, is divided by ten until the tick is at
      most ``max_tick_bps`` of the starting price: coarse ticks for BTC, not for DOGE);
      ``min_notional`` (quote) for its instruments.
    - Transport: ``latency_ms`` (+ uniform ``latency_jitter_ms``) from event to receipt;
      ``rest_latency_ms`` for a REST snapshot; ``symbols_per_connection`` (None: one
      connection for all, e.g. MEXC allows 15).
    - Listings: ``listed`` names the market's symbols this venue lists (None: every one);
      ``halted`` the listed ones whose trading is halted (their books stay as they are, the
      instruments endpoints say so, orders are refused).
    """

    name: str
    lag_ms: int = 0
    noise_bps: float = 1.0
    noise_half_life_s: float = 5.0
    half_spread_bps: float = 0.5
    levels: int = 20
    level_spacing_bps: float = 1.0
    top_notional: str = "20000"
    size_growth: float = 0.3
    update_interval_ms: int = 100
    changes_per_update: float = 3.0
    delete_probability: float = 0.1
    tick_multiplier: int = 1
    max_tick_bps: float = 0.5
    lot_multiplier: int = 1
    min_notional: str = "5"
    latency_ms: float = 5.0
    latency_jitter_ms: float = 2.0
    rest_latency_ms: float = 60.0
    symbols_per_connection: int | None = None
    listed: tuple[str, ...] | None = None
    halted: tuple[str, ...] = ()


@dataclass(frozen=True)
class DislocationConfig:
    """Occasional dislocations: one venue's price for one symbol jumps by ``size_bps``
    (up or down) for ``duration_s``. ``rate_per_min`` counts starts across the whole market."""

    rate_per_min: float = 2.0
    size_bps: float = 80.0
    duration_s: float = 3.0


@dataclass(frozen=True)
class MarketConfig:
    """The whole simulated market. ``tick_ms`` is the model's time step: fair prices move
    every step, and venue update intervals and lags must be multiples of it."""

    venues: tuple[VenueConfig, ...]
    symbols: tuple[SymbolConfig, ...]
    dislocations: DislocationConfig = field(default_factory=DislocationConfig)
    tick_ms: int = 10
    name: str = "custom"

    @property
    def venue_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.venues)

    @property
    def symbol_names(self) -> tuple[str, ...]:
        return tuple(s.symbol for s in self.symbols)

    def listed(self, venue: str) -> tuple[str, ...]:
        """The symbols ``venue`` lists, in the market's order (halted ones included)."""
        for v in self.venues:
            if v.name == venue:
                if v.listed is None:
                    return self.symbol_names
                wanted = set(v.listed)
                return tuple(s for s in self.symbol_names if s in wanted)
        raise KeyError(f"{venue!r} is not a venue of this market ({', '.join(self.venue_names)})")

    def listings(self) -> int:
        """How many (venue, symbol) books the market has."""
        return sum(len(self.listed(v.name)) for v in self.venues)


def validate(config: MarketConfig) -> list[str]:
    """Every problem with ``config`` as ``"key: reason"``; an empty list when it is usable."""
    problems: list[str] = []
    if config.tick_ms <= 0:
        problems.append(f"tick_ms: must be positive, got {config.tick_ms}")
    if not config.venues:
        problems.append("venues: at least one venue is needed")
    if not config.symbols:
        problems.append("symbols: at least one symbol is needed")
    _unique(problems, "venues", config.venue_names)
    _unique(problems, "symbols", config.symbol_names)
    for i, sym in enumerate(config.symbols):
        key = f"symbols[{i}]"
        try:
            split(sym.symbol)
        except SymbolError as exc:
            problems.append(f"{key}.symbol: {exc}")
        for name in ("price", "tick_size", "lot_size"):
            _positive_decimal(problems, f"{key}.{name}", getattr(sym, name))
        _range(problems, f"{key}.volatility", sym.volatility, 0.0, 50.0)
        _range(problems, f"{key}.activity", sym.activity, 0.0, 1.0)
        if not isinstance(sym.update_every, int) or sym.update_every < 1:
            problems.append(f"{key}.update_every: must be a whole number of at least 1, got {sym.update_every!r}")
    for i, venue in enumerate(config.venues):
        key = f"venues[{i}]"
        if not venue.name:
            problems.append(f"{key}.name: must not be empty")
        tick = max(config.tick_ms, 1)
        for name in ("lag_ms", "update_interval_ms"):
            value = getattr(venue, name)
            if value < 0 or value % tick or (name == "update_interval_ms" and value == 0):
                problems.append(f"{key}.{name}: must be a positive multiple of tick_ms ({tick}), got {value}")
        if venue.levels < 1:
            problems.append(f"{key}.levels: must be at least 1, got {venue.levels}")
        for name in ("tick_multiplier", "lot_multiplier"):
            if getattr(venue, name) < 1:
                problems.append(f"{key}.{name}: must be at least 1, got {getattr(venue, name)}")
        _positive_decimal(problems, f"{key}.top_notional", venue.top_notional)
        _positive_decimal(problems, f"{key}.min_notional", venue.min_notional, allow_zero=True)
        for name in (
            "noise_bps", "half_spread_bps", "level_spacing_bps", "size_growth", "changes_per_update",
            "latency_ms", "latency_jitter_ms", "rest_latency_ms", "max_tick_bps",
        ):
            _range(problems, f"{key}.{name}", getattr(venue, name), 0.0, 1e6)
        _range(problems, f"{key}.noise_half_life_s", venue.noise_half_life_s, 1e-3, 1e6)
        _range(problems, f"{key}.delete_probability", venue.delete_probability, 0.0, 1.0)
        if venue.symbols_per_connection is not None and venue.symbols_per_connection < 1:
            problems.append(f"{key}.symbols_per_connection: must be at least 1 or None")
        known = set(config.symbol_names)
        if venue.listed is not None:
            unknown = [s for s in venue.listed if s not in known]
            if unknown:
                problems.append(f"{key}.listed: not symbols of the market: {', '.join(unknown)}")
            if not venue.listed:
                problems.append(f"{key}.listed: a venue must list at least one symbol")
            _unique(problems, f"{key}.listed", tuple(venue.listed))
        listed = known if venue.listed is None else set(venue.listed)
        unlisted = [s for s in venue.halted if s not in listed]
        if unlisted:
            problems.append(f"{key}.halted: not listed on this venue: {', '.join(unlisted)}")
    d = config.dislocations
    _range(problems, "dislocations.rate_per_min", d.rate_per_min, 0.0, 1e6)
    _range(problems, "dislocations.size_bps", d.size_bps, 0.0, 5000.0)
    _range(problems, "dislocations.duration_s", d.duration_s, 0.0, 1e6)
    return problems


def _unique(problems: list[str], key: str, names: tuple[str, ...]) -> None:
    seen = set()
    for name in names:
        if name in seen:
            problems.append(f"{key}: {name!r} appears twice")
        seen.add(name)


def _positive_decimal(problems: list[str], key: str, text: str, allow_zero: bool = False) -> None:
    try:
        value = parse_fixed(text)
    except (ValueError, TypeError) as exc:
        problems.append(f"{key}: not a plain decimal ({exc})")
        return
    if value <= 0 and not (allow_zero and value == 0):
        problems.append(f"{key}: must be positive, got {text!r}")


def _range(problems: list[str], key: str, value: float, low: float, high: float) -> None:
    if not isinstance(value, (int, float)) or not low <= value <= high:
        problems.append(f"{key}: must be between {low:g} and {high:g}, got {value!r}")
