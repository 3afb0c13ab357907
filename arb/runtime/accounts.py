"""The venue accounts live execution trades with, and what arb checks of them.

- :func:`env_accounts`: the real venues, with credentials from the environment only
  (``ARB_<VENUE>_API_KEY`` …, through the config's ``${oc.env:…}`` references). A configured
  venue without them is refused at start, by name.
- :func:`sim_accounts`: the loopback simulators provision a key and an account per venue,
  funded with ``executor.balances`` and ``base_value_quote`` of every base at the market's
  starting price, and write the keys to a file (owner-only) as the ``ARB_<VENUE>_API_KEY=…``
  lines ``arb live`` reads.
- :func:`reconcile`: arb's portfolio against the balances the venues report, exactly.
- :func:`describe`: mode, venues, masked keys and limits, for the start-up banner.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

from arb.config import ArbConf
from arb.core.errors import ConfigError
from arb.core.numbers import ONE, from_decimal, to_plain
from arb.core.symbols import split
from arb.exec.live import VenueAccount
from arb.exec.portfolio import Portfolio
from arb.runtime.settings import credentials
from arb.sim.config import MarketConfig
from arb.sim.server import SimulatedVenues
from arb.venues.base import Credentials
from arb.venues.registry import get as venue_spec
from arb.venues.registry import trading
from arb.venues.trading import Balance


def env_accounts(conf: ArbConf, urls: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, VenueAccount]:
    """An account per active venue, from the environment's credentials (refused by name when missing)."""
    missing, accounts = [], {}
    for venue in conf.active_venues():
        creds = credentials(conf, venue)
        if creds is None or not creds.secret:
            missing.append(venue)
            continue
        where = (urls or {}).get(venue, {})
        rest_url = where.get("rest_url") or conf.venue(venue).rest_url or venue_spec(venue).rest_url
        ws_url = where.get("ws_url") or conf.venue(venue).ws_url or venue_spec(venue).ws_url  # its private stream's host
        accounts[venue] = VenueAccount(trading(venue), creds, rest_url, ws_url)
    if missing:
        names = ", ".join(missing)
        hint = " ".join(f"ARB_{v.upper()}_API_KEY/_API_SECRET" for v in missing)
        raise ConfigError(f"executor.mode=live: no credentials for {names} (set {hint} in the environment, "
                          f"or take the venue out with venues.<name>.enabled=false)")
    return accounts


def sim_funding(conf: ArbConf, market: MarketConfig) -> dict[str, int]:
    """What each simulated account starts with: ``executor.balances``, plus
    ``base_value_quote`` worth of every base at its symbol's starting price."""
    funding = {asset: from_decimal(Decimal(repr(amount))) for asset, amount in conf.executor.balances.items()}
    value = from_decimal(Decimal(repr(conf.executor.base_value_quote)))
    for symbol in market.symbols:
        base, _ = split(symbol.symbol)
        price = from_decimal(symbol.price)
        if value and price > 0:
            funding[base] = funding.get(base, 0) + value * ONE // price
    return funding


def sim_accounts(conf: ArbConf, sims: SimulatedVenues, market: MarketConfig, keys_file: Path) -> dict[str, VenueAccount]:
    """A provisioned key and funded account on every simulated venue; the keys written to ``keys_file``."""
    venues = conf.active_venues()
    keys = sims.provision(sim_funding(conf, market), venues)
    sims.write_credentials(keys, keys_file)
    return {
        venue: VenueAccount(trading(venue), Credentials(key.key, key.secret, key.passphrase), sims[venue].rest_url,
                            sims[venue].ws_url)
        for venue, key in keys.items()
    }


def totals(fetched: Mapping[str, Mapping[str, Balance]]) -> dict[tuple[str, str], int]:
    """``(venue, asset) → free + locked`` of fetched balances (zeros left out)."""
    return {(venue, b.asset): b.free + b.locked for venue, bs in fetched.items() for b in bs.values() if b.free + b.locked}


def reconcile(books: Portfolio | Mapping[tuple[str, str], int], fetched: Mapping[str, Mapping[str, Balance]]) -> dict[str, tuple[str, str]]:
    """Where arb's books (a portfolio, or its balances) and the venues disagree:
    ``"venue:asset" → (venue's, arb's)`` as plain decimals (empty: reconciled exactly)."""
    venues = set(fetched)
    balances = books.balances() if isinstance(books, Portfolio) else books
    ours = {key: amount for key, amount in balances.items() if key[0] in venues and amount}
    theirs = totals(fetched)
    return {f"{v}:{a}": (to_plain(theirs.get((v, a), 0)), to_plain(ours.get((v, a), 0)))
            for v, a in sorted(set(ours) | set(theirs)) if theirs.get((v, a), 0) != ours.get((v, a), 0)}


def mask(secret: str) -> str:
    """The first four characters and the length: enough to tell keys apart, never enough to use one."""
    return f"{secret[:4]}…({len(secret)} chars)" if secret else "(none)"


def describe(conf: ArbConf, accounts: Mapping[str, VenueAccount], where: str) -> list[str]:
    """The start-up banner of live trading (no secret: keys masked, secrets never shown)."""
    risk = conf.risk
    lines = [
        f"mode: LIVE{' (dry run: orders built and logged, none sent)' if conf.executor.dry_run else ''} on {where}",
        "venues: " + ", ".join(f"{v} key {mask(a.credentials.key)} at {a.rest_url}" for v, a in accounts.items()),
        f"limits: {risk.max_notional_quote:g} per order, "
        + (f"{risk.max_daily_notional_quote:g} per day, " if risk.max_daily_notional_quote else "no daily cap, ")
        + f"{risk.max_open_legs} open orders, positions {dict(risk.max_position) or 'uncapped'}, "
        + f"breaker at {risk.error_rate_limit:.0%} of {risk.error_window} orders",
    ]
    return lines
