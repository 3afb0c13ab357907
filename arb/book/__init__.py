"""L2 order books: exact levels, depth walks, health, and sequence-checked synchronisation."""

from arb.book.book import OrderBook, Walk
from arb.book.health import BookState

__all__ = ["BookState", "OrderBook", "Walk"]
