"""Ready-made markets: a symbol universe, one profile per venue, and two presets.

Profiles sketch each venue's character — who leads and who lags, how often it
publishes, its tick and connection limits — so that generated data has the shape of
the real feeds. The figures are plausible, not measured; change them freely.

- :func:`three_venues` — Binance, OKX, Kraken × 10 symbols (the research default).
- :func:`seven_venues` — all seven venues × 10 symbols.

Dislocations default to 80 bps: more than the dislocated venue's taker fee plus the
cheapest other venue's plus both spreads (worst case Coinbase 0.6 % + MEXC 0.05 %; in the
3-venue preset Kraken 0.4 % + Binance 0.1 %), so each one opens a real, fee-clearing
arbitrage against at least one other venue. Calm markets stay well inside the fees.
"""

from __future__ import annotations

from dataclasses import replace

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


def market(venues: tuple[str, ...], n_symbols: int = 10, name: str = "custom", **overrides: object) -> MarketConfig:
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


PRESETS = {"3x10": three_venues, "7x10": seven_venues}
