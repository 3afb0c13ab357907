"""Shared helpers: a simulator of a few venues and symbols, stepped by hand."""

from __future__ import annotations

from arb.sim import presets
from arb.sim.server import FaultConfig, ServerOptions, SimConfig, SimulatedVenues

#: Every venue with a market profile (all registered ones), leaders first.
VENUES = tuple(presets.VENUES)


def simulator(
    venues: tuple[str, ...] = VENUES,
    n_symbols: int = 2,
    faults: dict[str, FaultConfig] | None = None,
    seed: int = 7,
    **options: object,
) -> SimulatedVenues:
    """Venues × the first ``n_symbols`` of the universe; the market moves only on ``advance``."""
    config = SimConfig(
        market=presets.market(venues, n_symbols),
        seed=seed,
        speed=None,
        faults=faults or {},
        options=ServerOptions(**{"ping_interval_s": None, **options}),  # type: ignore[arg-type]
    )
    return SimulatedVenues(config)
