"""The private side of a simulated venue: API keys, accounts, a matching engine. Sans-I/O.

:class:`Exchange` holds one venue's accounts and orders and matches them against the
simulator's true book of each symbol (the same book its public streams publish):

- **Keys.** :meth:`Exchange.provision` creates API keys (deterministic from the seed) with an
  account each, funded with the given balances: a hex key and secret by default, or what the
  venue's ``key_maker`` makes of the same random bytes (Coinbase: a CDP key name and an EC
  P-256 private key in PEM). A venue protocol verifies each request's signature with the key's
  secret, the venue's own way, before calling in here.
- **Orders** are limit orders: ``ioc`` (immediate-or-cancel: takes what the book offers
  within the limit, the rest is cancelled) or ``gtc`` (takes what it can, the rest rests
  until the book crosses its price, then fills as a maker at its own price). Checks, in the
  order a venue applies them: the symbol trades, the price is a multiple of the tick, the
  quantity of the lot and at least the minimum, the notional at least the minimum, the client
  order id is new (``client_id_scope="all"``: never used before on the account; ``"open"``:
  not used by an open order — Kraken's rule — and then it names the latest order), the
  account can lock what the order may cost. Each failure raises
  :class:`Rejected` with its :class:`~arb.venues.trading.RejectReason`.
- **Fills** take liquidity as a real venue's would disappear: depth our fills took is not there
  for the next order until the book shows that level again (:class:`~arb.exec.liquidity.LiquidityMemory`).
  ``quote`` is exact (Σ price × qty); the fee is the taker (or maker) rate times what the
  order *receives* (``fee_asset="received"``: the base of a buy, the quote of a sell — Binance,
  MEXC, Gate, OKX) or always the quote (``"quote"``: Kraken, Coinbase, KuCoin), rounded up to
  ``fee_decimals``. Balances move exactly by those amounts.

- **Listeners** (:attr:`Exchange.listeners`, ``listener(order, trade)``) hear every change of
  an order as it happens — accepted (``trade`` None, status new), each execution (``trade``
  set, status partially filled or filled), cancelled or expired (``trade`` None) — which a
  venue's private stream pushes in its format.

Time is passed in (``now_ms``); ids come from counters. Protocols render the values below in
their venue's format.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from arb.book.book import OrderBook
from arb.core.instruments import Instrument
from arb.core.numbers import ONE
from arb.core.symbols import split
from arb.exec.liquidity import LiquidityMemory
from arb.venues.trading import OrderStatus, RejectReason


#: ``listener(order, trade)``: an order changed (``trade``: the execution that changed it, if one did).
OrderListener = Callable[["SimOrder", "SimTrade | None"], None]

#: ``key_maker(n, raw) → (key, secret, passphrase)``: the n-th key of a venue from 32 random bytes.
KeyMaker = Callable[[int, bytes], tuple[str, str, str]]


class Rejected(Exception):
    """A request the exchange refuses: ``reason`` classifies it, ``message`` says why."""

    def __init__(self, reason: RejectReason, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class ApiKey:
    """A provisioned key: what a client signs with, and the account it trades."""

    key: str
    secret: str
    passphrase: str
    account: str


@dataclass
class SimTrade:
    """One execution of an order."""

    trade_id: int
    order_id: int
    symbol: str
    side: str
    price: int
    qty: int
    quote: int
    fee: int
    fee_asset: str
    maker: bool
    ts_ms: int


@dataclass
class SimOrder:
    order_id: int
    client_id: str
    account: str
    symbol: str
    side: str
    price: int
    qty: int
    tif: str
    created_ms: int
    updated_ms: int
    status: OrderStatus = OrderStatus.NEW
    filled: int = 0
    quote: int = 0
    fee: int = 0
    fee_asset: str = ""
    #: What the order still locks: quote (price × rest + its fee) for a buy, base for a sell.
    locked: int = 0
    trades: list[SimTrade] = field(default_factory=list)

    @property
    def remaining(self) -> int:
        return self.qty - self.filled

    @property
    def open(self) -> bool:
        return self.status in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED)


@dataclass
class Account:
    name: str
    #: asset → [free, locked] (fixed ints).
    balances: dict[str, list[int]] = field(default_factory=dict)
    orders: dict[int, SimOrder] = field(default_factory=dict)
    by_client: dict[str, int] = field(default_factory=dict)
    trades: list[SimTrade] = field(default_factory=list)

    def free(self, asset: str) -> int:
        return self.balances.get(asset, [0, 0])[0]

    def locked(self, asset: str) -> int:
        return self.balances.get(asset, [0, 0])[1]

    def _move(self, asset: str, free: int = 0, locked: int = 0) -> None:
        entry = self.balances.setdefault(asset, [0, 0])
        entry[0] += free
        entry[1] += locked
        if entry[0] < 0 or entry[1] < 0:
            raise AssertionError(f"{self.name}: {asset} balance would go negative: {entry}")


class Exchange:
    """One venue's accounts and matching engine (see the module docstring).

    ``book(symbol)`` returns the true book now; ``instrument(symbol)`` the venue's rules for
    it (None: the symbol does not trade there). ``maker_fee``/``taker_fee`` are fixed rates.
    """

    def __init__(
        self,
        venue: str,
        book: Callable[[str], OrderBook],
        instrument: Callable[[str], Instrument | None],
        *,
        maker_fee: int,
        taker_fee: int,
        fee_asset: str = "received",
        fee_decimals: int = 8,
        seed: int = 0,
        halted: Iterable[str] = (),
        key_maker: KeyMaker | None = None,
        client_id_scope: str = "all",
    ) -> None:
        if fee_asset not in ("received", "quote"):
            raise ValueError(f"fee_asset must be 'received' or 'quote', got {fee_asset!r}")
        if client_id_scope not in ("all", "open"):
            raise ValueError(f"client_id_scope must be 'all' or 'open', got {client_id_scope!r}")
        self.client_id_scope = client_id_scope
        self.venue = venue
        self.book = book
        self.instrument = instrument
        self.maker_fee = maker_fee
        self.taker_fee = taker_fee
        self.fee_asset = fee_asset
        self._fee_unit = 10 ** (18 - fee_decimals)
        self.halted = set(halted)
        self.key_maker = key_maker
        self.keys: dict[str, ApiKey] = {}
        self.accounts: dict[str, Account] = {}
        self.liquidity = LiquidityMemory()
        self._rng = random.Random(f"{seed}:{venue}:keys")
        self._next_order = 1_000_000
        self._next_trade = 1
        #: Resting (gtc) orders per symbol, in time priority.
        self._resting: dict[str, list[SimOrder]] = {}
        #: Told of every order change (see the module docstring).
        self.listeners: list[OrderListener] = []

    # -- keys and accounts ----------------------------------------------------------------
    def provision(self, balances: Mapping[str, int], label: str = "arb") -> ApiKey:
        """A new key and account funded with ``balances`` (asset → fixed amount)."""
        n = len(self.keys) + 1
        raw = self._rng.getrandbits(256).to_bytes(32, "big")
        if self.key_maker is not None:
            name, secret, passphrase = self.key_maker(n, raw)
        else:
            name = f"sim{self.venue[:3]}{n}{hashlib.sha256(raw + b'k').hexdigest()[:24]}"
            secret = hashlib.sha256(raw + b"s").hexdigest()
            passphrase = hashlib.sha256(raw + b"p").hexdigest()[:16]
        key = ApiKey(key=name, secret=secret, passphrase=passphrase, account=f"{label}-{n}")
        self.keys[key.key] = key
        account = self.accounts[key.account] = Account(key.account)
        for asset, amount in balances.items():
            account._move(asset, free=amount)
        return key

    def account_of(self, api_key: str) -> Account | None:
        key = self.keys.get(api_key)
        return self.accounts[key.account] if key is not None else None

    # -- orders ---------------------------------------------------------------------------
    def place(self, account: Account, symbol: str, side: str, qty: int, price: int, tif: str, client_id: str, now_ms: int) -> SimOrder:
        """Check, lock, match; returns the order as it stands after matching."""
        if side not in ("buy", "sell"):
            raise Rejected(RejectReason.OTHER, f"side must be buy or sell, got {side!r}")
        if tif not in ("ioc", "gtc"):
            raise Rejected(RejectReason.OTHER, f"time in force must be ioc or gtc, got {tif!r}")
        inst = self.instrument(symbol)
        if inst is None or symbol in self.halted:
            raise Rejected(RejectReason.OTHER, f"{symbol} does not trade")
        if price <= 0 or (inst.tick_size and price % inst.tick_size):
            raise Rejected(RejectReason.PRICE, "price is not a positive multiple of the tick size")
        if qty <= 0 or (inst.lot_size and qty % inst.lot_size) or qty < inst.min_qty:
            raise Rejected(RejectReason.LOT, "quantity is not a multiple of the lot size or is below the minimum")
        if inst.min_notional and price * qty < inst.min_notional * ONE:
            raise Rejected(RejectReason.MIN_NOTIONAL, "price × quantity is below the minimum notional")
        prior = account.by_client.get(client_id) if client_id else None
        if prior is not None and (self.client_id_scope == "all" or account.orders[prior].open):
            raise Rejected(RejectReason.DUPLICATE, "client order id already used")
        base, quote = split(symbol)
        lock_asset, lock = (quote, self._buy_lock(price, qty)) if side == "buy" else (base, qty)
        if account.free(lock_asset) < lock:
            raise Rejected(RejectReason.BALANCE, f"insufficient {lock_asset}: {lock} needed")
        order = SimOrder(
            order_id=self._next_order, client_id=client_id, account=account.name, symbol=symbol, side=side, price=price,
            qty=qty, tif=tif, created_ms=now_ms, updated_ms=now_ms, locked=lock,
        )
        self._next_order += 1
        account._move(lock_asset, free=-lock, locked=lock)
        account.orders[order.order_id] = order
        if client_id:
            account.by_client[client_id] = order.order_id
        self._notify(order, None)
        self._take(account, order, now_ms)
        if order.open:
            if tif == "ioc":
                self._close(account, order, OrderStatus.CANCELLED if order.filled < order.qty else OrderStatus.FILLED, now_ms)
            else:
                self._resting.setdefault(symbol, []).append(order)
        return order

    def cancel(self, account: Account, order: SimOrder, now_ms: int) -> SimOrder:
        """Cancel the rest of an open order (NOT_FOUND when it is done already)."""
        if not order.open:
            raise Rejected(RejectReason.NOT_FOUND, "order is not open")
        self._close(account, order, OrderStatus.CANCELLED, now_ms)
        return order

    def find(self, account: Account, order_id: int | None = None, client_id: str | None = None) -> SimOrder:
        """An order of ``account`` by venue id or client id; NOT_FOUND otherwise."""
        if order_id is None and client_id:
            order_id = account.by_client.get(client_id)
        order = account.orders.get(order_id) if order_id is not None else None
        if order is None:
            raise Rejected(RejectReason.NOT_FOUND, "order does not exist")
        return order

    def open_orders(self, account: Account, symbol: str | None = None) -> list[SimOrder]:
        return [o for o in account.orders.values() if o.open and (symbol is None or o.symbol == symbol)]

    def on_book_change(self, symbol: str, now_ms: int) -> None:
        """The book of ``symbol`` moved: resting orders it now crosses fill, as makers."""
        resting = self._resting.get(symbol)
        if not resting:
            return
        for order in list(resting):
            if not order.open:
                resting.remove(order)
                continue
            self._take(self.accounts[order.account], order, now_ms, maker=True)
            if not order.open:
                resting.remove(order)

    # -- internals -------------------------------------------------------------------------
    def _buy_lock(self, price: int, qty: int) -> int:
        """What a buy locks: price × qty and the largest fee it could pay in quote (fees are
        rounded up per execution: room for that on up to 50 executions)."""
        quote = -((-price * qty) // ONE)
        return quote + self._fee(quote, max(self.maker_fee, self.taker_fee)) + 50 * self._fee_unit

    def _fee(self, amount: int, rate: int) -> int:
        fee = -((-amount * rate) // ONE)
        return -((-fee) // self._fee_unit) * self._fee_unit

    def _take(self, account: Account, order: SimOrder, now_ms: int, maker: bool = False) -> None:
        """Fill what the book offers within the order's price (for a maker: at its price)."""
        book = self.book(order.symbol)
        if not book.is_live:
            return
        buy = order.side == "buy"
        levels = tuple(book.ask_levels(50) if buy else book.bid_levels(50))
        sweep = self.liquidity.sweep(self.venue, order.symbol, buy, levels, order.remaining, order.price)
        if not sweep.filled:
            return
        self.liquidity.commit(self.venue, order.symbol, buy, levels, sweep)
        for price, _, qty in sweep.parts:
            self._execute(account, order, order.price if maker else price, qty, maker, now_ms)
        if order.filled == order.qty:
            self._close(account, order, OrderStatus.FILLED, now_ms)
        else:
            order.status = OrderStatus.PARTIALLY_FILLED

    def _execute(self, account: Account, order: SimOrder, price: int, qty: int, maker: bool, now_ms: int) -> None:
        base, quote_asset = split(order.symbol)
        rate = self.maker_fee if maker else self.taker_fee
        if order.side == "buy":
            quote = -((-price * qty) // ONE)
            fee_asset = base if self.fee_asset == "received" else quote_asset
            fee = self._fee(qty if fee_asset == base else quote, rate)
            spent = quote + (fee if fee_asset == quote_asset else 0)
            account._move(quote_asset, locked=-spent)
            order.locked -= spent
            account._move(base, free=qty - (fee if fee_asset == base else 0))
        else:
            quote = price * qty // ONE
            fee_asset = quote_asset
            fee = self._fee(quote, rate)
            account._move(base, locked=-qty)
            order.locked -= qty
            account._move(quote_asset, free=quote - fee)
        trade = SimTrade(self._next_trade, order.order_id, order.symbol, order.side, price, qty, quote, fee, fee_asset, maker, now_ms)
        self._next_trade += 1
        order.trades.append(trade)
        account.trades.append(trade)
        order.filled += qty
        order.quote += quote
        order.fee += fee
        order.fee_asset = fee_asset
        order.updated_ms = now_ms
        order.status = OrderStatus.FILLED if order.filled == order.qty else OrderStatus.PARTIALLY_FILLED
        self._notify(order, trade)

    def _notify(self, order: SimOrder, trade: SimTrade | None) -> None:
        for listener in self.listeners:
            listener(order, trade)

    def _close(self, account: Account, order: SimOrder, status: OrderStatus, now_ms: int) -> None:
        """Done: release what it still locks."""
        base, quote_asset = split(order.symbol)
        asset = quote_asset if order.side == "buy" else base
        if order.locked:
            account._move(asset, free=order.locked, locked=-order.locked)
            order.locked = 0
        if order.status is not status:  # a fill's own notice already said "filled"
            order.status = status
            order.updated_ms = now_ms
            self._notify(order, None)
