"""What the private-stream end-to-end tests share: an order, and a session — one simulator of a
venue, an account on it (streaming or polling), arb's live port and its shell — handed to a test
body with ``until(done)``, which collects the port's events until ``done()`` holds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from arb.core.numbers import ONE
from arb.exec.live import LiveVenues, VenueAccount
from arb.exec.orders import Order
from arb.exec.port import OrderEvent
from arb.io.trading import TradingShell
from arb.sim import presets
from arb.sim.market import instruments
from arb.sim.server import ServerOptions, SimConfig, SimulatedVenues
from arb.venues.base import Credentials
from arb.venues.registry import trading

SYMBOL = "BTC/USDT"
MS = 1_000_000


def an_order(venue: str, name: str, side: str, price: int, tif: str) -> Order:
    now = time.time_ns()
    return Order(id=f"{name}/{side}", trade_id=name, role=side, venue=venue, symbol=SYMBOL, side=side, qty=ONE // 100,
                 limit_price=price, lock=0, ts_submit_ns=now, due_ns=now, tif=tif)


async def session(venue: str, body, *, stream: bool = True, secret: str | None = None, ready: bool = True,
                  poll_ns: int = 20 * MS, max_poll_ns: int = 200 * MS):
    """Run ``body(server, port, shell, until, events, key)`` once the private stream is up
    (``ready``: unless a wrong ``secret`` or the test says it won't be); ``stream`` False: the
    account has no websocket URL, so its orders are polled."""
    market = presets.market((venue,), 2)
    config = SimConfig(market=market, seed=5, speed=1.0, options=ServerOptions(ping_interval_s=None))
    async with SimulatedVenues(config) as sims:
        key = sims.provision({"USDT": 100_000 * ONE, "BTC": 2 * ONE}, [venue])[venue]
        server = sims[venue]
        creds = Credentials(key.key, secret if secret is not None else key.secret, key.passphrase)
        account = VenueAccount(trading(venue), creds, server.rest_url, server.ws_url if stream else "")
        port = LiveVenues({venue: account}, instruments(market), poll_ns=poll_ns, max_poll_ns=max_poll_ns)
        woke = asyncio.Event()
        shell = TradingShell(port, woke.set)
        port.notify = shell.kick
        runner = asyncio.ensure_future(shell.run())
        events: list[OrderEvent] = []

        async def until(done: Callable[[], bool], limit_s: float = 10.0) -> bool:
            deadline = time.monotonic() + limit_s
            while not done() and time.monotonic() < deadline:
                woke.clear()
                try:
                    await asyncio.wait_for(woke.wait(), 0.05)
                except TimeoutError:
                    pass
                events.extend(port.events(time.time_ns()))
            return done()

        try:
            if stream and secret is None and ready:
                assert await until(lambda: venue in port.streaming), shell.streams[venue].last_error
            return await body(server, port, shell, until, events, key)
        finally:
            await shell.close()
            await runner


def runner_alive(shell: TradingShell) -> bool:
    """The stream keeps retrying (with backoff) rather than ending the shell's work."""
    return not shell._closed and all(not task.done() for task in shell._stream_tasks)
