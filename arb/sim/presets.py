"""Ready-made markets: a symbol universe, one profile per venue, and two presets.

Profiles sketch each venue's character — who leads and who lags, how often it
publishes, its tick and connection limits — so that generated data has the shape of
the real feeds. The figures are plausible, not measured; change them freely.

- :func:`three_venues` — Binance, OKX, Kraken × 10 symbols (the research default).
- :func:`seven_venues` — all seven venues × 10 symbols.
- :func:`synthetic` — a market of a few hundred symbols (300 by default) with the shape of
  a real one: majors on every venue, a middle tier on most, a long tail on one or two;
  quiet symbols publishing less often; ticks and lots that differ per venue; a few
  listings halted.

Dislocations default to 80 bps: more than the dislocated venue's taker fee plus the
cheapest other venue's plus both spreads (worst case Coinbase 0.6 % + MEXC 0.05 %; in the
3-venue preset Kraken 0.4 % + Binance 0.1 %), so each one opens a real, fee-clearing
arbitrage against at least one other venue. Calm markets stay well inside the fees.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace
from typing import TypedDict, Unpack

from arb.sim.config import DislocationConfig, MarketConfig, SymbolConfig, VenueConfig

#: A USDT universe, most liquid first: (symbol, price, tick, lot, annual volatility, activity).
UNIVERSE: tuple[SymbolConfig, ...] = tuple(
    SymbolConfig(symbol, price, tick, lot, vol, activity)
    for symbol, price, tick, lot, vol, activity in (
        ("BTC/USDT", "65000", "0.01", "0.00001", 0.55, 1.0),
        ("ETH/USDT", "3500", "0.01", "0.0001", 0.7, 1.0),
        ("SOL/USDT", "150", "0.01", "0.001", 0.9, 0.9),
        ("XRP/USDT", "0.6", "0.0001", "0.1", 0.8, 0.8),
        ("DOGE/USDT", "0.15", "0.00001", "1", 1.0, 0.8),
        ("ADA/USDT", "0.45", "0.0001", "0.1", 0.85, 0.6),
        ("AVAX/USDT", "35", "0.01", "0.01", 0.95, 0.6),
        ("LINK/USDT", "15", "0.001", "0.01", 0.9, 0.6),
        ("LTC/USDT", "80", "0.01", "0.001", 0.75, 0.5),
        ("DOT/USDT", "7", "0.001", "0.01", 0.9, 0.5),
        ("BCH/USDT", "450", "0.1", "0.001", 0.8, 0.4),
        ("ATOM/USDT", "9", "0.001", "0.01", 0.9, 0.4),
        ("UNI/USDT", "10", "0.001", "0.01", 1.0, 0.4),
        ("NEAR/USDT", "6", "0.001", "0.1", 1.1, 0.4),
        ("APT/USDT", "9", "0.001", "0.01", 1.1, 0.3),
        ("FIL/USDT", "5", "0.001", "0.01", 1.0, 0.3),
        ("ARB/USDT", "1.1", "0.0001", "0.1", 1.2, 0.3),
        ("OP/USDT", "2.5", "0.001", "0.01", 1.2, 0.3),
        ("TRX/USDT", "0.12", "0.00001", "1", 0.6, 0.3),
        ("ETC/USDT", "27", "0.01", "0.01", 0.9, 0.3),
    )
)

#: One profile per venue of :data:`arb.venues.registry.NAMES` (tests/sim/test_market.py checks
#: that), leaders first. Kraken and OKX quote coarser ticks.
VENUES: dict[str, VenueConfig] = {
    v.name: v
    for v in (
        VenueConfig("binance", lag_ms=0, noise_bps=0.5, half_spread_bps=0.3, levels=25, top_notional="40000",
                    update_interval_ms=100, changes_per_update=4.0, latency_ms=4.0, rest_latency_ms=40.0),
        VenueConfig("okx", lag_ms=20, noise_bps=0.7, half_spread_bps=0.4, levels=25, top_notional="30000",
                    update_interval_ms=100, changes_per_update=4.0, tick_multiplier=10, latency_ms=6.0,
                    rest_latency_ms=50.0),
        VenueConfig("coinbase", lag_ms=50, noise_bps=0.8, half_spread_bps=0.5, levels=20, top_notional="25000",
                    update_interval_ms=50, changes_per_update=2.0, latency_ms=10.0, rest_latency_ms=60.0),
        VenueConfig("kraken", lag_ms=150, noise_bps=1.0, half_spread_bps=0.8, levels=20, top_notional="15000",
                    update_interval_ms=50, changes_per_update=2.0, tick_multiplier=10, latency_ms=15.0,
                    rest_latency_ms=80.0),
        VenueConfig("kucoin", lag_ms=150, noise_bps=1.2, half_spread_bps=0.8, levels=20, top_notional="12000",
                    update_interval_ms=50, changes_per_update=1.5, latency_ms=20.0, rest_latency_ms=80.0),
        VenueConfig("gateio", lag_ms=200, noise_bps=1.5, half_spread_bps=1.0, levels=20, top_notional="10000",
                    update_interval_ms=100, changes_per_update=3.0, latency_ms=25.0, rest_latency_ms=100.0),
        VenueConfig("mexc", lag_ms=250, noise_bps=1.5, half_spread_bps=1.0, levels=20, top_notional="10000",
                    update_interval_ms=100, changes_per_update=3.0, latency_ms=30.0, rest_latency_ms=100.0,
                    symbols_per_connection=15),
    )
}


class MarketOverrides(TypedDict, total=False):
    """The :class:`MarketConfig` fields :func:`market` lets a caller replace."""

    dislocations: DislocationConfig
    tick_ms: int


def market(
    venues: tuple[str, ...], n_symbols: int = 10, name: str = "custom", **overrides: Unpack[MarketOverrides]
) -> MarketConfig:
    """A market of the named venue profiles over the first ``n_symbols`` of :data:`UNIVERSE`.

    ``overrides`` replace :class:`MarketConfig` fields (``dislocations=…``, ``tick_ms=…``).
    Raises ``KeyError`` for a venue without a profile.
    """
    config = MarketConfig(
        venues=tuple(VENUES[v] for v in venues),
        symbols=UNIVERSE[:n_symbols],
        dislocations=DislocationConfig(),
        name=name,
    )
    return replace(config, **overrides) if overrides else config


def three_venues(n_symbols: int = 10) -> MarketConfig:
    """Binance, OKX and Kraken × ``n_symbols`` (10 by default)."""
    return market(("binance", "okx", "kraken"), n_symbols, name="3x10" if n_symbols == 10 else f"3x{n_symbols}")


def seven_venues(n_symbols: int = 10) -> MarketConfig:
    """All seven venues × ``n_symbols`` (10 by default)."""
    return market(tuple(VENUES), n_symbols, name="7x10" if n_symbols == 10 else f"7x{n_symbols}")


#: The synthetic market's tiers (after the majors of :data:`UNIVERSE`): share of the symbols,
#: how many venues list one (lowest, highest), how often its books publish
#: (:attr:`SymbolConfig.update_every`: 3 → about 3 messages/s on a 100 ms venue), activity.
#: Real captures put long-tail books at 0.6–1 message/s (Binance LRC/BTC, Gate NANO/USDT in
#: ``../shared/data/recordings``) and majors at every window of the venue's stream.
TIERS: tuple[tuple[str, float, tuple[int, int], int, float], ...] = (
    ("mid", 0.2, (3, 6), 3, 0.6),
    ("tail", 0.8, (1, 2), 10, 0.4),
)
#: Per venue in the synthetic market: lot multiplier and the coarsest tick (bps of the price)
#: its tick multiplier may reach — so one symbol's tick and lot differ between venues.
SYNTHETIC_RULES: dict[str, tuple[int, float]] = {
    "binance": (1, 0.5), "okx": (10, 5.0), "coinbase": (1, 1.0), "kraken": (10, 5.0), "kucoin": (10, 1.0),
    "gateio": (1, 0.5), "mexc": (1, 0.5),
}
_CONSONANTS = "BCDFGHJKLMNPRSTVW"  # no X or Z: Kraken's legacy codes start with them
_VOWELS = "AEIOU"


def synthetic(
    n_symbols: int = 300, venues: tuple[str, ...] = tuple(VENUES), seed: int = 0, *, full_overlap: bool = False,
    halted_share: float = 0.01, quote: str = "USDT",
) -> MarketConfig:
    """A market of ``n_symbols`` over ``venues`` (all seven by default), the same for the same
    arguments (``seed`` drives a local ``random.Random``).

    The first symbols are the majors of :data:`UNIVERSE`, listed everywhere and publishing in
    every update window; the rest are made-up assets (four letters, ``BASE/quote``) in the
    :data:`TIERS`: a middle tier on three to six venues, a long tail on one or two, quieter
    (activity) and publishing less often (``update_every``). ``full_overlap``: every venue
    lists every symbol (7 × N books: the worst case for a scanner host). About
    ``halted_share`` of the non-major listings are halted (at least one when there is a
    non-major listing on a venue that lists the symbol elsewhere too). Ticks and lots
    differ per venue (:data:`SYNTHETIC_RULES`).
    """
    if n_symbols < 1:
        raise ValueError(f"n_symbols must be at least 1, got {n_symbols}")
    names = list(dict.fromkeys(venues))
    unknown = [v for v in names if v not in VENUES]
    if unknown:
        raise KeyError(f"no venue profile for {', '.join(unknown)} (known: {', '.join(VENUES)})")
    rng = random.Random(f"synthetic:{seed}")
    majors = [replace(s, symbol=s.symbol.replace("/USDT", f"/{quote}")) for s in UNIVERSE[: min(n_symbols, len(UNIVERSE))]]
    symbols: list[SymbolConfig] = list(majors)
    listed: dict[str, list[str]] = {v: [s.symbol for s in majors] for v in names}
    candidates: list[tuple[str, str]] = []  # (venue, symbol) listings that may be halted
    taken = {s.symbol.split("/")[0] for s in symbols}
    rest = n_symbols - len(symbols)
    counts = [round(rest * share) for _, share, *_ in TIERS]
    counts[-1] = rest - sum(counts[:-1])
    for (_, _, (low, high), every, activity), count in zip(TIERS, counts):
        for _ in range(count):
            base = _asset_code(rng, taken)
            sym = _made_up(rng, f"{base}/{quote}", every, activity)
            symbols.append(sym)
            k = len(names) if full_overlap else min(len(names), rng.randint(low, high))
            where = rng.sample(names, k)
            for venue in where:
                listed[venue].append(sym.symbol)
            if len(where) > 1:
                candidates += [(venue, sym.symbol) for venue in where]
    halted: dict[str, list[str]] = {v: [] for v in names}
    if candidates and halted_share > 0:
        for venue, symbol in rng.sample(candidates, max(1, round(len(candidates) * halted_share))):
            halted[venue].append(symbol)
    order = {s.symbol: i for i, s in enumerate(symbols)}
    profiles = []
    for venue in names:
        lot_multiplier, max_tick_bps = SYNTHETIC_RULES.get(venue, (1, VENUES[venue].max_tick_bps))
        profiles.append(replace(
            VENUES[venue], lot_multiplier=lot_multiplier, max_tick_bps=max_tick_bps,
            listed=tuple(sorted(listed[venue], key=order.__getitem__)), halted=tuple(sorted(halted[venue], key=order.__getitem__)),
        ))
    return MarketConfig(
        venues=tuple(profiles), symbols=tuple(symbols), dislocations=DislocationConfig(),
        name=f"synthetic-{len(names)}x{n_symbols}" + ("-full" if full_overlap else ""),
    )


def _asset_code(rng: random.Random, taken: set[str]) -> str:
    while True:
        code = rng.choice(_CONSONANTS) + rng.choice(_VOWELS) + rng.choice(_CONSONANTS) + rng.choice(_VOWELS)
        if code not in taken:
            taken.add(code)
            return code


def _made_up(rng: random.Random, symbol: str, every: int, activity: float) -> SymbolConfig:
    """A made-up asset: a log-uniform price from 0.001 to 50 (four significant digits), a tick
    of 0.1–1 bps of it, a lot worth 0.1–1 of the quote."""
    price = 10 ** rng.uniform(-3, math.log10(50))
    exponent = math.floor(math.log10(price))
    price_text = _decimal(round(price, 3 - exponent), max(0, 3 - exponent))
    tick = _decimal(10.0 ** (exponent - 5), max(0, 5 - exponent))
    lot = _decimal(10.0 ** (-exponent - 1), max(0, exponent + 1))
    return SymbolConfig(symbol, price_text, tick, lot, volatility=rng.uniform(0.8, 1.5), activity=activity, update_every=every)


def _decimal(value: float, places: int) -> str:
    return f"{value:.{places}f}"


PRESETS = {"3x10": three_venues, "7x10": seven_venues, "synthetic": synthetic}
