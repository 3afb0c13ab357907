"""The decision core in one process: no order is ever sent against a book that is not live.

Random markets of three venues, random faults (a book going SYNCING, RESYNCING or STALE,
and coming back), random batch orders: the core is driven exactly as the local runtime
drives it (:meth:`DecisionCore.refresh`, :meth:`~DecisionCore.advance`,
:meth:`~DecisionCore.decide`), and an execution port in between checks, at the moment each
order leaves, that the book of its venue is LIVE.
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from arb.book.book import OrderBook
from arb.book.health import BookState
from arb.config import ArbConf, UniverseConf
from arb.exec.paper import PaperVenue
from arb.exec.port import PlaceOrder
from arb.runtime.components import build

VENUES = ("binance", "kraken", "okx")
SYMBOL = "BTC/USDT"
FAULTS = (BookState.SYNCING, BookState.RESYNCING, BookState.STALE)


class CheckingPort:
    """A paper venue that records every order sent to a book that is not LIVE right then."""

    def __init__(self, paper: PaperVenue, books: dict[str, OrderBook]) -> None:
        self.paper = paper
        self.books = books
        self.sent = 0
        self.against_unhealthy: list[tuple[str, str, str]] = []

    def submit(self, commands, now_ns):
        for command in commands:
            if isinstance(command, PlaceOrder):
                self.sent += 1
                order = command.order
                state = self.books[order.venue].state
                if state is not BookState.LIVE:
                    self.against_unhealthy.append((order.id, order.venue, str(state)))
        self.paper.submit(commands, now_ns)

    def next_event_ns(self):
        return self.paper.next_event_ns()

    def events(self, now_ns):
        return self.paper.events(now_ns)


def _set(book: OrderBook, mid: int, now_ns: int) -> None:
    """A live book around ``mid`` (whole USDT), two levels a side."""
    book.load([(str(mid - 1), "1"), (str(mid - 2), "2")], [(str(mid + 1), "1"), (str(mid + 2), "2")])
    book.state, book.reason = BookState.LIVE, ""
    book.ts_recv_ns = book.ts_event_ns = now_ns


def _fault(book: OrderBook, state: BookState) -> None:
    book.state, book.reason = state, "injected"
    if state is not BookState.STALE:
        book.clear()  # a resync clears the book; a stale one keeps its levels


def drive(rng: random.Random, policy: str) -> CheckingPort:
    """Trade a random market with random faults, in random batch orders, as the local runtime does."""
    conf = ArbConf(universe=UniverseConf(venues=list(VENUES), symbols=[SYMBOL]))
    conf.executor.one_legged_policy = policy
    conf.executor.latency_ms = 0.02  # orders arrive within a few steps
    conf.risk.max_open_legs = 40
    parts = build(conf)
    books = {v: OrderBook(v, SYMBOL) for v in VENUES}
    port = CheckingPort(parts.paper, books)
    parts.desk.port = port
    core = parts.core
    now = 1_000_000_000
    for venue in VENUES:
        _set(books[venue], 60_000, now)
    core.refresh(list(books.values()), now)
    core.decide(now)
    for _ in range(120):
        now += rng.choice((1_000, 10_000, 30_000))
        changed = []
        for venue in VENUES:
            roll = rng.random()
            book = books[venue]
            if roll < 0.15 and book.state is BookState.LIVE:
                _fault(book, rng.choice(FAULTS))
                changed.append(book)
            elif roll < 0.75:  # a move; a dislocation of ±2 % now and then (fees are ~0.1–0.4 %)
                jump = rng.choice((0, 0, 0, 1200, -1200))
                _set(book, 60_000 + jump + rng.randint(-30, 30), now)
                changed.append(book)
        rng.shuffle(changed)  # whatever order the feeds' changes come in
        if changed:
            core.refresh(changed, now)
        core.advance(now)
        if changed:
            core.decide(now)
    core.drain(now)
    return port


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32), st.sampled_from(["unwind", "hedge", "hold"]))
def test_no_order_is_sent_against_a_book_that_is_not_live(seed: int, policy: str):
    assert drive(random.Random(seed), policy).against_unhealthy == [], f"seed {seed}"


def test_the_random_markets_do_send_orders():
    """The property above is not vacuous: the same driver sends orders, follow-ups included."""
    ports = [drive(random.Random(seed), "unwind") for seed in range(5)]
    assert sum(p.sent for p in ports) > 20
