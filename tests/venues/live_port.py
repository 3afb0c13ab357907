"""arb's own live port against running simulators, for the venues' round-trip tests.

:class:`PortSession` hosts :class:`~arb.exec.live.LiveVenues` and its I/O shell
(:class:`~arb.io.trading.TradingShell`) in the test's event loop, with keys the simulators
provisioned: commands go in with :meth:`PortSession.submit`, order events are collected until
a condition holds (:meth:`PortSession.until`). ``perform`` sends one built request directly
(what a resting order or a forged signature needs).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping

import aiohttp

from arb.core.instruments import Instruments
from arb.exec.live import LiveVenues, VenueAccount
from arb.exec.orders import Order
from arb.exec.port import Command, OrderEvent
from arb.io.trading import TradingShell
from arb.sim.exchange import ApiKey
from arb.sim.server import SimulatedVenues
from arb.venues.base import Credentials, RestRequest
from arb.venues.registry import trading


def credentials(key: ApiKey) -> Credentials:
    return Credentials(key.key, key.secret, key.passphrase)


def order(order_id: str, venue: str, side: str, qty: int, limit_price: int, symbol: str = "BTC/USDT", tif: str = "ioc") -> Order:
    now = time.time_ns()
    return Order(id=order_id, trade_id="t-" + order_id, role="buy" if side == "buy" else "sell", venue=venue, symbol=symbol,
                 side=side, qty=qty, limit_price=limit_price, lock=0, ts_submit_ns=now, due_ns=now, tif=tif)


async def perform(request: RestRequest) -> tuple[int, str, dict[str, str]]:
    """One request as built (no retries, no budget): ``(status, body, headers)``."""
    async with aiohttp.ClientSession() as session:
        async with session.request(request.method, request.url, headers=request.headers,
                                   data=request.body.encode() if request.body else None) as response:
            return response.status, await response.text(), dict(response.headers)


class PortSession:
    """``LiveVenues`` + ``TradingShell`` over ``keys`` (venue → provisioned key) of ``sims``."""

    def __init__(self, sims: SimulatedVenues, keys: Mapping[str, ApiKey], **port_options: int) -> None:
        accounts = {v: VenueAccount(trading(v), credentials(k), sims[v].rest_url) for v, k in keys.items()}
        instruments = Instruments([i for v in keys for i in sims[v].instruments if i.venue == v])
        options = {"poll_ns": 5_000_000, "max_poll_ns": 50_000_000, "retry_ns": 20_000_000, **port_options}
        self.port = LiveVenues(accounts, instruments, **options)
        self._wake = asyncio.Event()
        self.shell = TradingShell(self.port, self._wake.set, timeout_s=2.0)
        self.port.notify = self.shell.kick
        self.events: list[OrderEvent] = []
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> PortSession:
        self._task = asyncio.create_task(self.shell.run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.shell.close()
        if self._task is not None:
            await self._task

    def submit(self, *commands: Command) -> None:
        self.port.submit(commands, time.time_ns())

    async def until(self, done: Callable[[list[OrderEvent]], bool], timeout_s: float = 5.0) -> list[OrderEvent]:
        """Events so far, once ``done(events)`` holds (``TimeoutError`` after ``timeout_s``)."""
        deadline = time.monotonic() + timeout_s
        while True:
            self.events += self.port.events(time.time_ns())
            if done(self.events):
                return self.events
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"port events so far: {self.events}")
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), min(left, 0.05))
            except TimeoutError:
                pass

    def of(self, order_id: str) -> list[OrderEvent]:
        return [e for e in self.events if getattr(e, "order_id", None) == order_id]
