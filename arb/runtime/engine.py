"""The decision path in one process: books → views → scanner → risk → executor.

:class:`Engine` is what backtests, ``arb live`` and the Ray actors run. It holds no I/O and
reads no clock: whoever drives it (a replay clock, a live feed) passes the time in. Each
time books change it rebuilds their :class:`~arb.book.view.BookView`, scans the symbol
across venues, re-checks every opportunity against fresh risk state and hands the approved
ones to the executor. Executors see the market through :meth:`Engine.market`, i.e. the
latest view of each book — in a replay, the book as it is at the moment an order arrives.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from arb.book.book import OrderBook
from arb.book.view import BookView, view_of
from arb.core.numbers import ONE
from arb.core.symbols import split
from arb.exec.orders import Executor, TradeResult
from arb.exec.portfolio import Portfolio
from arb.risk.engine import RiskEngine
from arb.scan.histogram import SpreadHistogram
from arb.scan.opportunity import Opportunity
from arb.scan.scanner import Scanner

#: Assets valued at 1 in the reporting currency (USD).
USD_LIKE = frozenset({"USD", "USDT", "USDC", "BUSD", "FDUSD", "TUSD", "USDP", "DAI", "PYUSD"})


class Engine:
    """Scanner, risk and executor wired over a set of books.

    ``depth`` is the number of levels per side a view carries. ``base_value_quote``
    (optional) funds a venue with a symbol's base asset the first time that book is live
    (see :meth:`fund`), so research runs can start from "some inventory everywhere".

    **Quiet books are not rescanned.** The scanner's pre-filter looks only at each venue's
    best bid and ask; when a book changes below its top (same best prices, same state) and
    every pair involving its venue failed the pre-filter when last evaluated, a scan cannot
    find anything new — so none is run and the view is rebuilt only when something reads it
    (another venue's scan of the symbol, or an order filling there). Trades are identical
    either way (tested); the spread histogram counts scans of top-of-book changes.
    ``skip_quiet=False`` scans every change.
    """

    def __init__(
        self,
        scanner: Scanner,
        risk: RiskEngine,
        executor: Executor,
        portfolio: Portfolio,
        depth: int = 20,
        base_value_quote: int = 0,
        skip_quiet: bool = True,
    ) -> None:
        self.scanner = scanner
        self.risk = risk
        self.executor = executor
        self.portfolio = portfolio
        self.depth = depth
        self.base_value_quote = base_value_quote
        self.views: dict[str, dict[str, BookView]] = {}
        self.histogram = SpreadHistogram()
        self.opportunities_seen = 0
        self.opportunities_taken = 0
        self.rejections: Counter[str] = Counter()
        self.scans = 0
        self.trades: list[TradeResult] = []
        self.skip_quiet = skip_quiet
        self.skipped = 0
        self._funded: set[tuple[str, str]] = set()
        self._books: dict[str, dict[str, OrderBook]] = {}
        #: Per symbol, venues whose view lags their (quietly changed) book.
        self._dirty: dict[str, set[str]] = {}
        #: (symbol, venue) whose pairs all failed the pre-filter when last evaluated.
        self._quiet: set[tuple[str, str]] = set()
        self._half_age_ns = scanner.config.max_age_ns // 2

    # -- market data ----------------------------------------------------------------------
    def on_books(self, books: Iterable[OrderBook], now_ns: int) -> list[Opportunity]:
        """Books changed: refresh their views and scan each symbol for the changed venue.

        Returns the opportunities submitted to the executor.
        """
        submitted: list[Opportunity] = []
        for book in books:
            symbol, venue = book.symbol, book.venue
            venues = self.views.get(symbol)
            if venues is None:
                venues = self.views[symbol] = {}
                self._books[symbol] = {}
            self._books[symbol][venue] = book
            old = venues.get(venue)
            if (
                self.skip_quiet
                and old is not None
                and (symbol, venue) in self._quiet
                and old.state == book.state.value
                and old.best_bid == book.best_bid_price()
                and old.best_ask == book.best_ask_price()
            ):
                self._dirty.setdefault(symbol, set()).add(venue)
                self.skipped += 1
                continue
            view = venues[venue] = view_of(book, self.depth)
            dirty = self._dirty.get(symbol)
            if dirty:
                dirty.discard(venue)
            if view.live and self.base_value_quote and (venue, symbol) not in self._funded:
                self.fund(view)
            submitted += self._scan(symbol, venues, venue, now_ns)
        return submitted

    def _refresh(self, symbol: str, venues: dict[str, BookView], older_than_ns: int | None = None) -> bool:
        """Rebuild the views that lag their books (all, or those received before
        ``older_than_ns``). Returns whether any was rebuilt."""
        dirty = self._dirty.get(symbol)
        if not dirty:
            return False
        books = self._books[symbol]
        rebuilt = [v for v in dirty if older_than_ns is None or venues[v].ts_recv_ns < older_than_ns]
        for venue in rebuilt:
            venues[venue] = view_of(books[venue], self.depth)
            dirty.discard(venue)
        return bool(rebuilt)

    def _scan(self, symbol: str, venues: dict[str, BookView], changed: str, now_ns: int) -> list[Opportunity]:
        if len(venues) < 2:
            return []
        self.scans += 1
        # A lagging view has the right best prices (its book changed only below the top) —
        # all the pre-filter reads — but its age must not make it look stale, and its depth
        # matters as soon as a pair is walked: then rebuild and scan again.
        self._refresh(symbol, venues, older_than_ns=now_ns - self._half_age_ns)
        result = self.scanner.scan(symbol, venues, now_ns, self.portfolio, changed_venue=changed)
        if result.pairs_walked and self._refresh(symbol, venues):
            result = self.scanner.scan(symbol, venues, now_ns, self.portfolio, changed_venue=changed)
        self.histogram.add_result(result)
        if result.pairs_walked == 0:
            self._quiet.add((symbol, changed))
        else:  # which pairs passed is not known: no venue of this symbol is quiet now
            for venue in venues:
                self._quiet.discard((symbol, venue))
        found = result.opportunities
        if not found:
            return []
        self.opportunities_seen += len(found)
        submitted = []
        for opp in found:
            decision = self.risk.check(opp, self.portfolio, now_ns, self.executor.open_legs())
            if not decision.approved:
                self.rejections[decision.code] += 1
                continue
            if self.executor.submit(opp, now_ns):
                self.opportunities_taken += 1
                submitted.append(opp)
        return submitted

    # -- execution ------------------------------------------------------------------------
    def advance(self, now_ns: int) -> list[TradeResult]:
        """Let the executor process every order due by ``now_ns`` (in due-time order)."""
        done: list[TradeResult] = []
        due = self.executor.next_due_ns()
        while due is not None and due <= now_ns:
            done += self.executor.advance(due)
            due = self.executor.next_due_ns()
        self.trades += done
        return done

    def drain(self, now_ns: int) -> list[TradeResult]:
        """Finish every open order (end of a run), however late it is due."""
        done: list[TradeResult] = []
        due = self.executor.next_due_ns()
        while due is not None:
            done += self.executor.advance(max(due, now_ns))
            due = self.executor.next_due_ns()
        self.trades += done
        return done

    def market(self, venue: str, symbol: str) -> BookView | None:
        """The latest view of a venue's book (what an arriving order meets)."""
        venues = self.views.get(symbol)
        if not venues:
            return None
        dirty = self._dirty.get(symbol)
        if dirty and venue in dirty:
            self._refresh(symbol, venues)
        return venues.get(venue)

    # -- valuation ------------------------------------------------------------------------
    def price(self, asset: str) -> int | None:
        """Value of one unit of ``asset`` in USD: 1 for USD stablecoins, else the mean mid
        of ``ASSET/<USD stablecoin>`` over live views (None when no venue quotes it)."""
        if asset in USD_LIKE:
            return ONE
        mids = []
        for quote in ("USDT", "USDC", "USD"):
            for view in self.views.get(f"{asset}/{quote}", {}).values():
                if view.live and view.bids and view.asks:
                    mids.append((view.bids[0][0] + view.asks[0][0]) // 2)
            if mids:
                return sum(mids) // len(mids)
        return None

    def fund(self, view: BookView) -> None:
        """Deposit ``base_value_quote`` worth of the view's base asset on its venue (once)."""
        self._funded.add((view.venue, view.symbol))
        if not (view.bids and view.asks):
            return
        base, _ = split(view.symbol)
        mid = (view.bids[0][0] + view.asks[0][0]) // 2
        if mid > 0:
            self.portfolio.deposit(view.venue, base, self.base_value_quote * ONE // mid)
