"""Drive a venue's :class:`~arb.venues.trading.TradingSpec` against its simulator: arb's own
port (:class:`~arb.exec.live.LiveVenues` + :class:`~arb.io.trading.TradingShell`) and the
built requests performed one by one with aiohttp. Used by the per-venue private-API tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp

from arb.core.numbers import ONE
from arb.exec.live import LiveVenues, VenueAccount
from arb.exec.orders import Order
from arb.exec.port import (
    BalancesFetched, Cancelled, FetchBalances, Filled, OrderEvent, PlaceOrder, QueryOrder, Rejected, Unknown,
)
from arb.io.trading import TradingShell
from arb.sim import presets
from arb.sim.exchange import ApiKey
from arb.sim.server import ServerOptions, SimConfig, SimulatedVenues
from arb.sim.server.venue import VenueServer
from arb.venues.base import Credentials, RestRequest
from arb.venues.registry import trading
from arb.venues.trading import OrderRequest, TradingSpec, order_texts

SYMBOL = "BTC/USDT"
#: What every test account starts with.
START = {"USDT": 100_000 * ONE, "BTC": 2 * ONE}


@dataclass
class Desk:
    """One venue's simulator, a funded key and its trading spec."""

    sims: SimulatedVenues
    server: VenueServer
    key: ApiKey
    spec: TradingSpec
    http: aiohttp.ClientSession

    @property
    def credentials(self) -> Credentials:
        return Credentials(self.key.key, self.key.secret, self.key.passphrase)

    @property
    def account(self):
        return self.server.exchange.accounts[self.key.account]

    def now_ms(self) -> int:
        """The simulator's clock (a test may move it)."""
        return self.server.clock() // 1_000_000

    def order(self, client_id: str, side: str, qty: int, price: int, tif: str) -> OrderRequest:
        instrument = self.server.instruments.get(self.spec.venue, SYMBOL)
        qty, price, qty_text, price_text = order_texts(instrument, qty, price, side)
        return OrderRequest(client_id, SYMBOL, instrument.venue_symbol, side, qty, price, qty_text, price_text, tif)

    @property
    def venue_symbol(self) -> str:
        return self.server.instruments.get(self.spec.venue, SYMBOL).venue_symbol

    async def perform(self, request: RestRequest) -> tuple[int, str, dict[str, str]]:
        async with self.http.request(request.method, request.url, headers=request.headers,
                                     data=request.body.encode() if request.body else None) as response:
            return response.status, await response.text(), dict(response.headers)


@asynccontextmanager
async def desk(venue: str, seed: int = 11) -> AsyncIterator[Desk]:
    """A still market (it moves only when told) of two symbols on ``venue``, one funded key."""
    config = SimConfig(market=presets.market((venue,), 2), seed=seed, speed=None, options=ServerOptions(ping_interval_s=None))
    async with SimulatedVenues(config) as sims, aiohttp.ClientSession() as http:
        key = sims.provision(START, [venue])[venue]
        yield Desk(sims, sims[venue], key, trading(venue), http)


def arb_order(venue: str, order_id: str, side: str, qty: int, price: int) -> Order:
    trade_id = order_id.split("/")[0]
    return Order(id=order_id, trade_id=trade_id, role=side, venue=venue, symbol=SYMBOL, side=side, qty=qty,
                 limit_price=price, lock=0, ts_submit_ns=0, due_ns=0)


async def through_port(d: Desk, orders: list[Order], timeout_s: float = 10.0,
                       budgets: dict | None = None) -> tuple[list[OrderEvent], LiveVenues]:
    """Place ``orders`` (immediate-or-cancel) through arb's live port and its I/O shell, then
    fetch balances; returns every event once each order is done and the balances came. An
    ``Unknown`` order is asked about (``QueryOrder``), as the trader does. ``budgets``: the
    shell's (None: each venue's ``TradingSpec.budget``)."""
    account = VenueAccount(d.spec, d.credentials, d.server.rest_url)
    port = LiveVenues({d.spec.venue: account}, d.server.instruments, poll_ns=5_000_000, max_poll_ns=50_000_000)
    woke = asyncio.Event()
    shell = TradingShell(port, woke.set, session=d.http, budgets=budgets)
    port.notify = shell.kick
    runner = asyncio.create_task(shell.run())
    events: list[OrderEvent] = []
    pending = {o.id for o in orders}
    by_id = {o.id: o for o in orders}
    port.submit([PlaceOrder(o) for o in orders], time.time_ns())
    deadline = time.monotonic() + timeout_s
    asked = False
    try:
        while True:
            for event in port.events(time.time_ns()):
                events.append(event)
                if isinstance(event, (Filled, Cancelled, Rejected)):
                    pending.discard(event.order_id)
                elif isinstance(event, Unknown):
                    port.submit([QueryOrder(by_id[event.order_id])], time.time_ns())
            if not pending and not asked:
                asked = True
                port.submit([FetchBalances((d.spec.venue,), "end")], time.time_ns())
            if asked and any(isinstance(e, BalancesFetched) for e in events):
                return events, port
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; events so far: {events}")
            woke.clear()
            try:
                await asyncio.wait_for(woke.wait(), 0.05)
            except TimeoutError:
                shell.kick()
    finally:
        await shell.close()
        await runner
