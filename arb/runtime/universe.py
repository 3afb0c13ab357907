"""The universe from the venues' own listings (``universe=discover``), and its table.

:func:`select` is pure: given each venue's instruments (and, for a volume floor, tickers), it
keeps every symbol listed and *trading* on at least ``min_venues`` venues, quoted in one of
``quotes``, whose 24 h volume clears the floor on each venue counted, adds ``include``, drops
``exclude`` and keeps the ``max_symbols`` most traded. :func:`discover` fetches what it needs
(:mod:`arb.runtime.listings`) and :func:`table` says, per symbol, where it trades and with which
tick and lot — what ``arb universe`` prints before anything is scanned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from arb.config import ArbConf, DiscoverConf
from arb.core.errors import ConfigError
from arb.core.instruments import Instrument, Instruments
from arb.core.numbers import from_decimal, to_plain
from arb.core.symbols import split
from arb.runtime import listings
from arb.venues.markets import Ticker
from arb.venues.registry import get as venue_spec


@dataclass
class Row:
    """One symbol of the universe: its instrument on each venue that trades it and its 24 h
    quote volume there (0 when unknown)."""

    symbol: str
    instruments: dict[str, Instrument] = field(default_factory=dict)
    volume_quote: dict[str, int] = field(default_factory=dict)

    @property
    def total_volume(self) -> int:
        return sum(self.volume_quote.values())


def select(
    found: Mapping[str, Sequence[Instrument]], tickers: Mapping[str, Sequence[Ticker]], rules: DiscoverConf,
) -> list[Row]:
    """The discovered universe, most traded first (see the module docstring)."""
    volume = {(t.venue, t.venue_symbol): quote_volume(t) for items in tickers.values() for t in items}
    floor = from_decimal(repr(rules.min_volume_quote)) if rules.min_volume_quote is not None else None
    rows: dict[str, Row] = {}
    for venue, items in found.items():
        for inst in items:
            if not inst.trading:
                continue
            traded = volume.get((venue, inst.venue_symbol), 0)
            if floor is not None and traded < floor:
                continue
            row = rows.setdefault(inst.symbol, Row(inst.symbol))
            row.instruments[venue] = inst
            row.volume_quote[venue] = traded
    quotes = set(rules.quotes)
    keep = [r for s, r in rows.items() if split(s)[1] in quotes and len(r.instruments) >= rules.min_venues and s not in rules.exclude]
    keep.sort(key=lambda r: (-r.total_volume, r.symbol))
    chosen = keep[: rules.max_symbols]
    names = {r.symbol for r in chosen}
    for symbol in rules.include:  # asked for by name: kept when at least two venues trade it
        if symbol not in names and symbol in rows and len(rows[symbol].instruments) >= 2:
            chosen.append(rows[symbol])
    return chosen


def subscriptions(venues: Sequence[str], symbols: Sequence[str], instruments: Instruments) -> dict[str, list[str]]:
    """Per venue, the symbols of ``symbols`` its feed should carry: those the venue lists as
    trading — all of them where its listing is unknown (no instrument of the venue at all).
    A symbol only one venue trades is left out everywhere (nothing to arbitrage it against)."""
    known = instruments.venues()
    plan = {v: [s for s in symbols if (i := instruments.get(v, s)) is not None and i.trading] if v in known else list(symbols)
            for v in venues}
    count: dict[str, int] = {}
    for items in plan.values():
        for symbol in items:
            count[symbol] = count.get(symbol, 0) + 1
    return {v: [s for s in items if count[s] >= 2] for v, items in plan.items()}


def quote_volume(ticker: Ticker) -> int:
    """A ticker's 24 h volume in quote (from its base volume at its last price when it gives none)."""
    if ticker.volume_quote:
        return ticker.volume_quote
    price = ticker.last or (ticker.bid + ticker.ask) // 2
    return ticker.volume_base * price // 10**18


async def discover(
    conf: ArbConf, urls: Mapping[str, Mapping[str, str]] | None = None, *, cache_dir: Path | None = None,
    max_age_s: float = 3600.0,
) -> list[Row]:
    """Fetch every active venue's instruments (and tickers, for a volume floor or the ranking)
    and :func:`select` the universe. Raises :class:`ConfigError` when nothing qualifies."""
    return (await _discover(conf, _bases(conf, urls), cache_dir, max_age_s))[0]


async def current(
    conf: ArbConf, urls: Mapping[str, Mapping[str, str]] | None = None, *, cache_dir: Path | None = None,
    max_age_s: float = 0.0,
) -> tuple[list[str], Instruments]:
    """The universe as the venues list it now (by default fetched anew, not from the cache):
    ``universe.symbols`` — or, with ``discover``, the selection made again — and their
    instruments on every active venue, halted ones included (their status says so)."""
    bases = _bases(conf, urls)
    if conf.universe.discover.enabled:
        rows, found = await _discover(conf, bases, cache_dir, max_age_s)
        symbols = [row.symbol for row in rows]
    else:
        found = await listings.listings(conf.active_venues(), bases, cache_dir=cache_dir, max_age_s=max_age_s)
        symbols = list(conf.universe.symbols)
    wanted = set(symbols)
    return symbols, Instruments([i for items in found.values() for i in items if i.symbol in wanted])


def _bases(conf: ArbConf, urls: Mapping[str, Mapping[str, str]] | None) -> dict[str, str]:
    return {v: (urls or {}).get(v, {}).get("rest_url") or conf.venue(v).rest_url or venue_spec(v).rest_url
            for v in conf.active_venues()}


async def _discover(
    conf: ArbConf, bases: Mapping[str, str], cache_dir: Path | None, max_age_s: float,
) -> tuple[list[Row], dict[str, list[Instrument]]]:
    venues = conf.active_venues()
    found = await listings.listings(venues, bases, cache_dir=cache_dir, max_age_s=max_age_s)
    tickers: dict[str, list[Ticker]] = {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
        for venue in venues:
            try:
                tickers[venue] = await listings.fetch_tickers(session, venue, bases[venue])
            except (aiohttp.ClientError, ConfigError, TimeoutError) as exc:
                if conf.universe.discover.min_volume_quote is not None:
                    raise ConfigError(f"universe.discover.min_volume_quote: {venue}'s tickers are unavailable ({exc})") from None
    rows = select(found, tickers, conf.universe.discover)
    if not rows:
        raise ConfigError(
            f"universe=discover: no symbol is listed and trading on {conf.universe.discover.min_venues}+ of "
            f"{', '.join(venues)} with quotes {conf.universe.discover.quotes}"
        )
    return rows, found


def table(rows: Sequence[Row]) -> list[list[str]]:
    """``[symbol, venues, ticks, lots, 24 h volume]`` per row, as text (exact decimals)."""
    out = []
    for row in rows:
        venues = sorted(row.instruments)
        ticks = " ".join(f"{v}:{to_plain(row.instruments[v].tick_size)}" for v in venues)
        lots = " ".join(f"{v}:{to_plain(row.instruments[v].lot_size)}" for v in venues)
        out.append([row.symbol, ",".join(venues), ticks, lots, f"{row.total_volume / 10**18:,.0f}"])
    return out
