"""The unmodified ``ccxt`` library, pointed at the simulators, trades as on the real venues.

Only ccxt's URLs are changed (every URL of ``exchange.urls["api"]`` keeps its path and gets
the simulator's host). With keys the simulator provisioned, ccxt loads markets, fetches
tickers, order books and balances, places an immediate-or-cancel order that fills and a
resting limit order, queries and cancels it — and the balances it reads back moved exactly by
the fills and fees. This proves the simulators faithful enough for a widely used client, not
only for arb's own.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from arb.core.numbers import ONE
from arb.sim import presets
from arb.sim.server import ServerOptions, SimConfig, SimulatedVenues

ccxt = pytest.importorskip("ccxt")

pytestmark = pytest.mark.slow

#: Venues whose simulator serves the private API (one row each).
VENUES = ["binance", "okx", "kraken", "gateio", "mexc", "coinbase", "kucoin"]
SYMBOL = "BTC/USDT"
#: ccxt's class where its name is not arb's venue name (ccxt calls Gate ``gate``).
CCXT_IDS = {"gateio": "gate"}
#: ccxt reads Coinbase tickers from ``market/products``, which carry no bid and ask it reads:
#: they come from ``best_bid_ask`` (``fetch_bids_asks``) there.
BIDS_ASKS = {"coinbase"}
#: KuCoin's public partial books come in 20 or 100 levels (ccxt refuses other limits).
BOOK_LIMIT = {"kucoin": 20}


def _point_at(urls: object, base: str) -> object:
    """Every URL in ccxt's ``urls["api"]`` (nested dicts or plain strings) → same path on ``base``."""
    if isinstance(urls, dict):
        return {k: _point_at(v, base) for k, v in urls.items()}
    if isinstance(urls, str) and urls.startswith("http"):
        parts = urlsplit(urls)
        return base + parts.path + (f"?{parts.query}" if parts.query else "")
    return urls


def _client(venue: str, key, base: str):
    exchange = getattr(ccxt, CCXT_IDS.get(venue, venue))({"apiKey": key.key, "secret": key.secret, "password": key.passphrase, "enableRateLimit": False})
    exchange.urls["api"] = _point_at(exchange.urls["api"], base)
    return exchange


def _session(venue: str, key, base: str) -> dict:
    ex = _client(venue, key, base)
    out: dict = {}
    out["markets"] = ex.load_markets()
    out["tickers"] = ex.fetch_tickers([SYMBOL])
    if venue in BIDS_ASKS:
        out["tickers"] = ex.fetch_bids_asks([SYMBOL])
    out["book"] = ex.fetch_order_book(SYMBOL, BOOK_LIMIT.get(venue, 5))
    out["before"] = ex.fetch_balance()["total"]
    ask = out["book"]["asks"][0][0]
    out["ioc"] = ex.create_order(SYMBOL, "limit", "buy", 0.01, ex.price_to_precision(SYMBOL, ask * 1.002), {"timeInForce": "IOC"})
    out["ioc_fetched"] = ex.fetch_order(out["ioc"]["id"], SYMBOL)
    rest = ex.create_order(SYMBOL, "limit", "buy", 0.01, ex.price_to_precision(SYMBOL, ask * 0.9))
    out["resting"] = ex.fetch_order(rest["id"], SYMBOL)
    out["open"] = ex.fetch_open_orders(SYMBOL)
    out["cancelled"] = ex.cancel_order(rest["id"], SYMBOL)
    out["cancelled_fetched"] = ex.fetch_order(rest["id"], SYMBOL)
    out["after"] = ex.fetch_balance()["total"]
    return out


@pytest.mark.parametrize("venue", VENUES)
def test_unmodified_ccxt_loads_markets_trades_queries_and_cancels(venue):
    async def run():
        config = SimConfig(market=presets.market(tuple(sorted({venue, "okx"})), 3), seed=3, speed=1.0,
                           options=ServerOptions(ping_interval_s=None))
        async with SimulatedVenues(config) as sims:
            key = sims.provision({"USDT": 100_000 * ONE, "BTC": 2 * ONE}, [venue])[venue]
            result = await asyncio.to_thread(_session, venue, key, sims[venue].rest_url)
            return result, sims[venue].exchange.accounts[key.account]

    r, account = asyncio.run(run())
    assert SYMBOL in r["markets"] and r["markets"][SYMBOL]["spot"]
    assert r["tickers"][SYMBOL]["bid"] < r["tickers"][SYMBOL]["ask"]
    assert r["book"]["bids"][0][0] < r["book"]["asks"][0][0]
    assert r["before"]["USDT"] == 100_000 and r["before"]["BTC"] == 2
    ioc = r["ioc_fetched"]
    assert ioc["status"] == "closed" and ioc["filled"] == pytest.approx(0.01)
    assert r["resting"]["status"] == "open" and [o["id"] for o in r["open"]] == [r["resting"]["id"]]
    if venue == "kraken":  # Kraken's CancelOrder answers only {"count": 1}, and ccxt passes that on: ask the order
        assert r["cancelled"]["info"]["result"]["count"] == 1 and r["cancelled_fetched"]["status"] == "canceled"
    else:
        assert r["cancelled"]["status"] in ("canceled", "cancelled") or r["cancelled"]["id"] == r["resting"]["id"]
    # Balances moved exactly by the fill and its fee, as the simulator's account holds them.
    spent = Decimal(str(r["before"]["USDT"])) - Decimal(str(r["after"]["USDT"]))
    got = Decimal(str(r["after"]["BTC"])) - Decimal(str(r["before"]["BTC"]))
    trades = account.trades
    assert len({t.order_id for t in trades}) == 1
    quote = sum(t.quote for t in trades)
    fees = {t.fee_asset: sum(x.fee for x in trades if x.fee_asset == t.fee_asset) for t in trades}
    assert spent * ONE == quote + fees.get("USDT", 0)
    assert got * ONE == sum(t.qty for t in trades) - fees.get("BTC", 0)
