"""Live execution's hard cases, with real signed orders on the Binance and OKX simulators.

- A crash between "sent" and "acked": the venues executed the orders, arb never saw an
  answer. A new process on the same journal asks the venues by client order id and finds the
  fills — no order placed twice, no fill lost, the books reconcile exactly.
- A one-legged fill: one leg is refused, the other fills; the trader unwinds with a real
  order on the venue that filled.
- The kill switch: open orders are cancelled at the venue and trading halts.
"""

from __future__ import annotations

import asyncio
import time

import msgspec
import pytest

from arb.config import ArbConf, UniverseConf
from arb.core.numbers import ONE
from arb.decision.desk import Desk
from arb.exec.journal_sqlite import SqliteJournal
from arb.exec.live import LiveVenues, VenueAccount
from arb.exec.port import PlaceOrder
from arb.io.trading import TradingShell
from arb.runtime.accounts import reconcile, sim_funding, totals
from arb.runtime.components import build_desk, start
from arb.runtime.live import venue_balances
from arb.scan.opportunity import Opportunity, opportunity_id
from arb.sim import presets
from arb.sim.market import instruments
from arb.sim.server import ServerOptions, SimConfig, SimulatedVenues
from arb.venues.base import Credentials
from arb.venues.registry import trading

pytestmark = pytest.mark.slow
SYMBOL = "BTC/USDT"
VENUES = ("binance", "okx")


def _conf() -> ArbConf:
    conf = ArbConf(universe=UniverseConf(venues=list(VENUES), symbols=[SYMBOL]))
    conf.executor.mode = "live"
    conf.executor.balances = {"USDT": 100_000.0}
    conf.executor.base_value_quote = 20_000.0
    return conf


def _opportunity(sims, qty: int) -> Opportunity:
    """Buy on binance at its ask, sell on okx at its bid (limits widened so both legs fill)."""
    ask = sims["binance"].book(SYMBOL).best_ask_price()
    bid = sims["okx"].book(SYMBOL).best_bid_price()
    now = time.time_ns()
    buy_limit, sell_limit = ask * 1005 // 1000, bid * 995 // 1000
    buy_quote, sell_quote = buy_limit * qty // ONE, sell_limit * qty // ONE
    return Opportunity(
        id=opportunity_id(now, SYMBOL, "binance", "okx", now, now), symbol=SYMBOL, buy_venue="binance", sell_venue="okx",
        qty=qty, buy_limit=buy_limit - buy_limit % 10**16, sell_limit=sell_limit - sell_limit % 10**17 + 10**17,
        buy_quote=buy_quote, sell_quote=sell_quote, buy_fee=0, sell_fee=0, gross_profit=0, net_profit=0,
        buy_fee_rate=10**15, sell_fee_rate=10**15, buy_ts_event_ns=now, buy_ts_recv_ns=now, sell_ts_event_ns=now,
        sell_ts_recv_ns=now, ts_decision_ns=now,
    )


class Host:
    """A live desk over the simulators, driven as the local runtime drives it."""

    def __init__(self, conf, sims, accounts, journal_path, balances):
        self.market = {(v, SYMBOL): None for v in VENUES}
        self.journal = SqliteJournal(journal_path)
        self.desk: Desk = build_desk(conf, self.view, lambda asset: ONE, instruments(sims.config.market), self.journal, accounts)
        self.started = start(self.desk, conf, time.time_ns(), balances)
        self.port: LiveVenues = self.desk.port  # type: ignore[assignment]
        self.woke = asyncio.Event()
        self.shell = TradingShell(self.port, self.woke.set)
        self.port.notify = self.shell.kick
        self.sims = sims

    def view(self, venue: str, symbol: str):
        from arb.book.view import view_of

        book = self.sims[venue].book(symbol)
        return view_of(book, 20)

    async def run_until(self, done, limit_s: float = 10.0) -> bool:
        deadline = time.monotonic() + limit_s
        while not done() and time.monotonic() < deadline:
            self.woke.clear()
            try:
                await asyncio.wait_for(self.woke.wait(), 0.1)
            except TimeoutError:
                pass
            with self.journal.batch():
                self.desk.advance(time.time_ns())
        return done()


async def _with_sims(body):
    conf = _conf()
    market = presets.market(VENUES, 1)
    async with SimulatedVenues(SimConfig(market=market, seed=6, speed=1.0, options=ServerOptions(ping_interval_s=None))) as sims:
        keys = sims.provision(sim_funding(conf, market), VENUES)
        accounts = {v: VenueAccount(trading(v), Credentials(k.key, k.secret, k.passphrase), sims[v].rest_url) for v, k in keys.items()}
        balances = totals(await venue_balances(accounts))
        return await body(conf, sims, accounts, balances, keys)


def test_a_crash_between_sent_and_acked_is_reconciled_on_restart(tmp_path):
    async def body(conf, sims, accounts, balances, keys):
        first = Host(conf, sims, accounts, tmp_path / "j.sqlite", balances)
        runner = asyncio.ensure_future(first.shell.run())
        opp = _opportunity(sims, ONE // 100)
        assert first.desk.submit(opp, time.time_ns())
        # The requests leave and the venues execute them; the process dies before it reads
        # a single answer (the events are never handed to the trader).
        await asyncio.sleep(1.0)
        await first.shell.close()
        await runner
        assert first.desk.trader.open_legs() == 2
        first.journal.close()

        second = Host(conf, sims, accounts, tmp_path / "j.sqlite", balances)
        runner = asyncio.ensure_future(second.shell.run())
        done = await second.run_until(lambda: second.desk.trader.open_legs() == 0 and second.desk.trader.results())
        await second.shell.close()
        await runner
        fetched = await venue_balances(accounts)
        return done, second, fetched, opp

    done, host, fetched, opp = asyncio.run(_with_sims(body))
    assert done and host.started.records > 0
    (trade,) = host.desk.trader.results()
    assert trade.buy_filled == trade.sell_filled == opp.qty
    for venue in VENUES:  # one order per leg at each venue: nothing placed twice
        (account,) = host.sims[venue].exchange.accounts.values()
        assert len(account.orders) == 1
    assert reconcile(host.desk.trader.portfolio, fetched) == {}


def test_a_refused_leg_is_unwound_with_a_real_order_on_the_venue_that_filled(tmp_path):
    async def body(conf, sims, accounts, balances, keys):
        host = Host(conf, sims, accounts, tmp_path / "j.sqlite", balances)
        runner = asyncio.ensure_future(host.shell.run())
        sims["okx"].inject_private("reject")  # the sell leg is refused
        opp = _opportunity(sims, ONE // 100)
        host.desk.submit(opp, time.time_ns())
        done = await host.run_until(lambda: bool(host.desk.trader.results()))
        await host.shell.close()
        await runner
        return done, host, await venue_balances(accounts)

    done, host, fetched = asyncio.run(_with_sims(body))
    (trade,) = host.desk.trader.results()
    assert done and trade.one_legged and trade.action == "unwind" and trade.action_venue == "binance"
    (account,) = host.sims["binance"].exchange.accounts.values()
    sides = sorted(o.side for o in account.orders.values())
    assert sides == ["buy", "sell"]  # the leg, and the unwind that sold it back
    assert trade.residual_base == 0 or abs(trade.residual_base) < ONE // 1000  # what the base fee left
    assert reconcile(host.desk.trader.portfolio, fetched) == {}


def test_the_kill_switch_cancels_open_orders_at_the_venue_and_halts(tmp_path):
    async def body(conf, sims, accounts, balances, keys):
        host = Host(conf, sims, accounts, tmp_path / "j.sqlite", balances)
        runner = asyncio.ensure_future(host.shell.run())
        # The trader's orders, sent as resting limit orders far from the market (so they stay
        # open at the venue until something cancels them).
        trader = host.desk.trader
        opp = _opportunity(sims, ONE // 100)
        far = msgspec.structs.replace(opp, buy_limit=opp.buy_limit // 2, sell_limit=opp.sell_limit * 2)
        commands = trader.submit(far, time.time_ns())
        host.port.submit([PlaceOrder(msgspec.structs.replace(c.order, tif="gtc")) for c in commands if isinstance(c, PlaceOrder)],
                         time.time_ns())
        await host.run_until(lambda: all(any(o.open for o in a.orders.values())
                                         for v in VENUES for a in sims[v].exchange.accounts.values()), 5.0)
        resting = {v: [o.order_id for a in sims[v].exchange.accounts.values() for o in a.orders.values() if o.open] for v in VENUES}
        cancels = host.desk.kill("operator", time.time_ns())
        await host.run_until(lambda: trader.open_legs() == 0)
        await host.shell.close()
        await runner
        return host, cancels, resting

    host, cancels, resting = asyncio.run(_with_sims(body))
    assert all(len(ids) == 1 for ids in resting.values()), resting  # both were resting at the venues
    assert cancels == 2 and host.desk.trader.risk.state == "halted" and host.desk.trader.open_legs() == 0
    for venue in VENUES:
        (account,) = host.sims[venue].exchange.accounts.values()
        assert [o.status for o in account.orders.values()] == ["cancelled"] and not account.trades
