"""The venues' instruments and tickers, fetched from their public endpoints and cached on disk.

Each venue's ``MARKETS`` (:class:`~arb.venues.markets.MarketsSpec`) says which requests list
its instruments and tickers and how to read the answers; this module performs them (aiohttp,
concurrently across venues), and keeps every venue's instruments in
``<cache_dir>/<venue>.json`` with the time they were fetched, so a restart within
``max_age_s`` needs no request and a venue that cannot be reached falls back to its last
listing (said loudly, with its age). A venue with neither fails, by name.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import aiohttp
import msgspec

from arb.config import ArbConf
from arb.core.errors import ConfigError
from arb.core.instruments import Instrument, Instruments
from arb.venues.markets import Listing, Ticker
from arb.venues.registry import get as venue_spec
from arb.venues.registry import markets

log = logging.getLogger(__name__)

_instruments = msgspec.json.Decoder(list[Instrument])


async def fetch(session: aiohttp.ClientSession, venue: str, rest_url: str) -> Listing:
    """One venue's instruments, from its endpoints now."""
    spec = markets(venue)
    bodies = []
    for request in spec.instruments(rest_url):
        async with session.request(request.method, request.url, headers=request.headers) as response:
            body = await response.text()
            if response.status != 200:
                raise ConfigError(f"{venue}: instruments endpoint answered {response.status}: {body[:200]}")
            bodies.append(body)
    return spec.decode_instruments(bodies)


async def fetch_tickers(session: aiohttp.ClientSession, venue: str, rest_url: str) -> list[Ticker]:
    spec = markets(venue)
    request = spec.tickers(rest_url)
    async with session.request(request.method, request.url, headers=request.headers) as response:
        body = await response.text()
        if response.status != 200:
            raise ConfigError(f"{venue}: ticker endpoint answered {response.status}: {body[:200]}")
    return spec.decode_tickers(body)


def _cache(cache_dir: Path, venue: str) -> Path:
    return cache_dir / f"{venue}.json"


def load_cached(cache_dir: Path, venue: str) -> tuple[list[Instrument], float] | None:
    """A venue's cached instruments and when they were fetched (unix s), if any."""
    path = _cache(cache_dir, venue)
    try:
        data = json.loads(path.read_text())
        return _instruments.decode(json.dumps(data["instruments"])), float(data["fetched_at"])
    except (OSError, ValueError, KeyError, msgspec.DecodeError):
        return None


def store(cache_dir: Path, venue: str, instruments: list[Instrument], fetched_at: float) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    body = {"venue": venue, "fetched_at": fetched_at, "instruments": msgspec.to_builtins(instruments)}
    tmp = _cache(cache_dir, venue).with_suffix(".tmp")
    tmp.write_text(json.dumps(body))
    tmp.replace(_cache(cache_dir, venue))


async def listings(
    venues: Iterable[str], urls: Mapping[str, str], *, cache_dir: Path | None = None, max_age_s: float = 3600.0,
    timeout_s: float = 15.0,
) -> dict[str, list[Instrument]]:
    """Every venue's instruments: the cache when fresh, else the endpoint (then cached), else a
    stale cache (warned). ``urls``: venue → REST base."""
    venues = list(venues)
    out: dict[str, list[Instrument]] = {}
    todo = []
    now = time.time()
    for venue in venues:
        cached = load_cached(cache_dir, venue) if cache_dir is not None else None
        if cached is not None and now - cached[1] <= max_age_s:
            out[venue] = cached[0]
        else:
            todo.append(venue)
    if todo:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as session:
            results = await asyncio.gather(*(fetch(session, v, urls[v]) for v in todo), return_exceptions=True)
        problems = []
        for venue, result in zip(todo, results, strict=True):
            if isinstance(result, Listing):
                out[venue] = result.instruments
                if result.skipped:
                    log.info("%s: %d instruments, skipped %s", venue, len(result.instruments), result.skipped)
                if cache_dir is not None:
                    store(cache_dir, venue, result.instruments, time.time())
                continue
            cached = load_cached(cache_dir, venue) if cache_dir is not None else None
            if cached is not None:
                log.warning("%s: instruments unreachable (%s); using the listing cached %.0f s ago", venue, result, now - cached[1])
                out[venue] = cached[0]
            else:
                problems.append(f"{venue}: {type(result).__name__}: {result}")
        if problems:
            raise ConfigError("cannot list instruments: " + "; ".join(problems))
    return out


async def instruments(conf: ArbConf, urls: Mapping[str, Mapping[str, str]] | None = None, cache_dir: Path | None = None) -> Instruments:
    """The active venues' trading instruments of ``universe.symbols`` (fetched or cached)."""
    venues = conf.active_venues()
    bases = {v: (urls or {}).get(v, {}).get("rest_url") or conf.venue(v).rest_url or venue_spec(v).rest_url for v in venues}
    found = await listings(venues, bases, cache_dir=cache_dir)
    wanted = set(conf.universe.symbols)
    return Instruments([i for items in found.values() for i in items if i.symbol in wanted])
