"""``arb universe``: the symbols arb would scan, where each trades, its ticks, lots and volume.

    arb universe                                  # the configured symbols on the simulators' listings
    arb universe universe=discover                # discovered from every venue's listing
    arb universe universe=discover live=public    # the real venues' instruments and tickers

Nothing is traded or recorded: the venues' public instruments and ticker endpoints are read
(the simulators' with ``live=sim``, the default), and the table printed — what ``arb live``
would scan with the same overrides.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping

import aiohttp
import hydra
from omegaconf import DictConfig
from rich.console import Console
from rich.table import Table

from arb.config import ArbConf
from arb.core.errors import ArbError
from arb.runtime import listings, universe
from arb.sim.server import SimulatedVenues
from arb.venues.registry import get as venue_spec
from workflows.config import CONF_DIR, load
from workflows.live import simulator_config


async def rows(conf: ArbConf) -> list[universe.Row]:
    """The universe's rows, from the simulators (``live=sim``) or the real venues."""
    if conf.live.source == "public":
        return await _rows(conf, None)
    async with SimulatedVenues(simulator_config(conf)) as sims:
        return await _rows(conf, sims.urls())


async def _rows(conf: ArbConf, urls: Mapping[str, Mapping[str, str]] | None) -> list[universe.Row]:
    if conf.universe.discover.enabled:
        return await universe.discover(conf, urls)
    venues = conf.active_venues()
    bases = {v: (urls or {}).get(v, {}).get("rest_url") or conf.venue(v).rest_url or venue_spec(v).rest_url for v in venues}
    found = await listings.listings(venues, bases)
    volume = {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
        for venue in venues:
            for ticker in await listings.fetch_tickers(session, venue, bases[venue]):
                volume[(venue, ticker.venue_symbol)] = universe.quote_volume(ticker)
    out = {s: universe.Row(s) for s in conf.universe.symbols}
    for venue, items in found.items():
        for inst in items:
            if inst.symbol in out and inst.trading:
                out[inst.symbol].instruments[venue] = inst
                out[inst.symbol].volume_quote[venue] = volume.get((venue, inst.venue_symbol), 0)
    return list(out.values())


@hydra.main(config_path=CONF_DIR, config_name="config", version_base="1.3")
def app(cfg: DictConfig) -> None:
    try:
        conf = load(cfg, tracking=False)
        found = asyncio.run(rows(conf))
    except ArbError as exc:
        print(f"arb universe: {exc}", file=sys.stderr)
        sys.exit(2)
    table = Table(title=f"universe: {len(found)} symbols on {', '.join(conf.active_venues())}")
    for column in ("symbol", "venues", "tick", "lot", "24 h volume (quote)"):
        table.add_column(column, justify="right" if column.startswith("24") else "left")
    for line in universe.table(found):
        table.add_row(*line)
    tty = sys.stdout.isatty()
    Console(no_color=not tty, width=None if tty else 240).print(table)
    thin = [row.symbol for row in found if len(row.instruments) < 2]
    if thin:
        print(f"warning: {len(thin)} symbols trade on fewer than two of these venues and cannot be arbitraged: "
              f"{', '.join(thin[:20])}{' …' if len(thin) > 20 else ''}", file=sys.stderr)


def main(argv: list[str]) -> int:
    sys.argv = ["arb universe", *argv]
    app()
    return 0
