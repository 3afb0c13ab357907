"""The decider: book views in, opportunities out.

:class:`Decider` is the half of the decision core that looks at markets. It keeps the
latest :class:`~arb.book.view.BookView` of every (symbol, venue) it was given and scans a
symbol across venues when one of them changed. It reads no clock and does no I/O; it owns
no money (balances to size with are passed in). The same object runs in a backtest, in the
local runtime and in each Ray scanner shard.

A batch is taken in two passes — first every view is brought up to date, then the changed
(symbol, venue) pairs are scanned in batch order — so a scan never reads a view older than
a book in the same batch (a book that went RESYNCING in this batch is never traded against
through its previous "live" view, whatever the order of the batch)::

    changed = decider.on_books(books, now_ns)     # or on_views(views, now_ns): pass 1
    for symbol, venue in decider.pending():       # pass 2, one scan at a time
        opportunities = decider.scan(symbol, venue, now_ns, balances)

**Quiet books are not rescanned.** The scanner's pre-filter looks only at each venue's best
bid and ask; when a book changes below its top (same best prices, same state) and every pair
involving its venue failed the pre-filter when last evaluated, a scan cannot find anything
new — so none is run, and from a live book (:meth:`on_books`) the view is rebuilt only when
something reads it (another venue's scan of the symbol, an order filling there, or before it
could look stale). Trades are identical either way (tested); the spread histogram counts
scans of top-of-book changes. ``skip_quiet=False`` scans every change.

**Operator settings** (:mod:`arb.decision.controls`): :meth:`Decider.apply_settings`
changes the scan's minimum profit and sizing cap and takes venues out of (or back into)
every pair; a disabled venue's views are still kept current, so it trades again at once
when enabled.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from arb.book.book import OrderBook
from arb.book.view import BookView, view_of
from arb.scan.histogram import SpreadHistogram
from arb.scan.opportunity import Balances, Opportunity
from arb.scan.scanner import Scanner
from arb.decision.controls import Settings
from arb.decision.views import mark

class Decider:
    """Latest views per (symbol, venue) and the scans they call for.

    ``depth``: levels per side a view built from a book carries.
    """

    def __init__(self, scanner: Scanner, depth: int, skip_quiet: bool = True) -> None:
        self.scanner = scanner
        self.depth = depth
        self.skip_quiet = skip_quiet
        #: symbol → venue → latest view.
        self.views: dict[str, dict[str, BookView]] = {}
        self.histogram = SpreadHistogram()
        #: Last USD price seen per asset (see :meth:`price`).
        self.marks: dict[str, int] = {}
        self.opportunities_seen = 0
        self.scans = 0
        #: Changes not scanned because the book was quiet.
        self.skipped = 0
        self._pending: list[tuple[str, str]] = []
        self._books: dict[str, dict[str, OrderBook]] = {}
        #: Per symbol, venues whose view lags their (quietly changed) book.
        self._dirty: dict[str, set[str]] = {}
        #: (symbol, venue) whose pairs all failed the pre-filter when last evaluated.
        self._quiet: set[tuple[str, str]] = set()
        self._half_age_ns = scanner.config.max_age_ns // 2
        #: Ids found in the current batch (a pair of two changed venues is found twice).
        self._batch_ids: set[str] = set()
        #: Venues the operator took out of trading (see :meth:`apply_settings`).
        self.disabled: frozenset[str] = frozenset()

    # -- pass 1: market data ---------------------------------------------------------------
    def on_books(self, books: Iterable[OrderBook], now_ns: int) -> list[BookView]:
        """Books changed (local runtime, backtests): bring every view up to date and queue
        the scans. Returns the views rebuilt (a quiet book's view waits until it is read)."""
        built: list[BookView] = []
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
                and old.state == book.state  # a StrEnum: compares as str, no Enum.value call
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
            built.append(view)
            self._pending.append((symbol, venue))
        return built

    def on_views(self, views: Iterable[BookView], now_ns: int) -> list[BookView]:
        """Views arrived (a Ray scanner shard): store them and queue the scans. A view equal
        in time and state to the one held (a periodic republish) or a quiet one (same top,
        same state, every pair failed the pre-filter) is stored without a scan. Returns the
        views that changed."""
        changed: list[BookView] = []
        for view in views:
            symbol, venue = view.symbol, view.venue
            venues = self.views.get(symbol)
            if venues is None:
                venues = self.views[symbol] = {}
            old = venues.get(venue)
            venues[venue] = view
            if old is not None and old.state == view.state:
                if old.ts_recv_ns == view.ts_recv_ns:
                    continue  # republished unchanged
                if (
                    self.skip_quiet
                    and (symbol, venue) in self._quiet
                    and old.best_bid == view.best_bid
                    and old.best_ask == view.best_ask
                ):
                    self.skipped += 1
                    changed.append(view)
                    continue
            changed.append(view)
            self._pending.append((symbol, venue))
        return changed

    # -- pass 2: scans ---------------------------------------------------------------------
    def pending(self) -> list[tuple[str, str]]:
        """The (symbol, venue) scans the last batches queued, in order; taken (the next call
        returns only what was queued after this one)."""
        pending = self._pending
        if not pending:
            return pending
        self._pending = []
        self._batch_ids.clear()
        return pending

    def scan(self, symbol: str, changed: str, now_ns: int, balances: Balances | None) -> list[Opportunity]:
        """Scan ``symbol`` for pairs involving the ``changed`` venue, sized by ``balances``."""
        venues = self.views.get(symbol)
        if venues is None or len(venues) < 2 or changed in self.disabled:
            return []
        self.scans += 1
        # A lagging view has the right best prices (its book changed only below the top) —
        # all the pre-filter reads — but its age must not make it look stale, and its depth
        # matters as soon as a pair is walked: then rebuild and scan again.
        if self._dirty:
            self._refresh(symbol, venues, older_than_ns=now_ns - self._half_age_ns)
        scanned = self._enabled(venues) if self.disabled else venues
        result = self.scanner.scan(symbol, scanned, now_ns, balances, changed_venue=changed)
        if result.pairs_walked and self._refresh(symbol, venues):
            result = self.scanner.scan(symbol, self._enabled(venues), now_ns, balances, changed_venue=changed)
        self.histogram.add_result(result)
        if result.pairs_walked == 0:
            self._quiet.add((symbol, changed))
        else:  # which pairs passed is not known: no venue of this symbol is quiet now
            for venue in venues:
                self._quiet.discard((symbol, venue))
        found = result.opportunities
        if found:
            ids = self._batch_ids
            found = [opp for opp in found if opp.id not in ids]
            ids.update(opp.id for opp in found)
            self.opportunities_seen += len(found)
        return found

    def decide(self, now_ns: int, balances: Balances | None) -> list[Opportunity]:
        """Every queued scan at once, sized with one balance snapshot (a remote decider)."""
        found: list[Opportunity] = []
        for symbol, venue in self.pending():
            found += self.scan(symbol, venue, now_ns, balances)
        return found

    # -- the universe changing -------------------------------------------------------------
    def forget(self, venue: str, symbol: str) -> bool:
        """``symbol`` left ``venue``'s feed (a listing refresh, a shard handing it over): its
        view and book go, so no scan or order meets them. Returns whether one was held."""
        venues = self.views.get(symbol)
        held = venues is not None and venues.pop(venue, None) is not None
        self._books.get(symbol, {}).pop(venue, None)
        dirty = self._dirty.get(symbol)
        if dirty:
            dirty.discard(venue)
        self._quiet.discard((symbol, venue))
        if venues is not None and not venues:
            del self.views[symbol]
            self._books.pop(symbol, None)
            self._dirty.pop(symbol, None)
        return held

    def instruments_changed(self) -> None:
        """The scanner's instruments changed in place (statuses, lots): scan every book again."""
        self.scanner.instruments_changed()
        self._quiet.clear()

    # -- operator settings -----------------------------------------------------------------
    def apply_settings(self, settings: Settings) -> None:
        """Scan with the operator's settings from now on (see :mod:`arb.decision.controls`):
        the minimum profit and sizing cap of the scan config, and the venues left out of
        every pair. Forgets which books were quiet (a venue enabled again has pairs no
        scan has looked at)."""
        config = self.scanner.config
        new = msgspec.structs.replace(
            config, min_profit_quote=settings.min_profit_quote, max_notional_quote=settings.max_notional_quote
        )
        if new != config:
            self.scanner = Scanner(new, self.scanner.instruments)
        self.disabled = frozenset(settings.disabled_venues)
        self._quiet.clear()

    def settings(self) -> Settings:
        """The settings this decider scans with now."""
        config = self.scanner.config
        return Settings(
            min_profit_quote=config.min_profit_quote, max_notional_quote=config.max_notional_quote,
            disabled_venues=tuple(sorted(self.disabled)),
        )

    def _enabled(self, venues: dict[str, BookView]) -> dict[str, BookView]:
        if not self.disabled:
            return venues
        return {venue: view for venue, view in venues.items() if venue not in self.disabled}

    # -- reading ---------------------------------------------------------------------------
    def view(self, venue: str, symbol: str) -> BookView | None:
        """The latest view of a venue's book (what an arriving order meets)."""
        venues = self.views.get(symbol)
        if not venues:
            return None
        dirty = self._dirty.get(symbol)
        if dirty and venue in dirty:
            self._refresh(symbol, venues)
        return venues.get(venue)

    def price(self, asset: str) -> int | None:
        """Value of one unit of ``asset`` in USD (see :func:`usd_price`); while no venue
        quotes it live (a book resyncing), the last price seen. None: never priced."""
        return mark(asset, self.views, self.marks)

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
