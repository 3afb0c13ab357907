"""Unified symbols and canonical asset codes.

A unified symbol is the text ``BASE/QUOTE`` with canonical asset codes (``BTC/USDT``).
Derivatives add the settlement asset after a colon, and a dated contract its expiry:
``UNI/USD:UNI`` (inverse perpetual), ``BTC/USD:BTC-220527`` (inverse future).

Symbols are plain ``str`` so that resolving a venue's symbol in the hot path is one dict
lookup (:class:`SymbolMap`). Each venue module knows its own spelling; this module holds
what all venues share.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from arb.core.errors import SymbolError

#: Venue-specific asset codes → canonical codes.
CANONICAL_ASSETS: dict[str, str] = {
    "XBT": "BTC",  # Kraken
    "XDG": "DOGE",  # Kraken
    "BCHSV": "BSV",  # KuCoin (Bitcoin SV)
}

#: Quote assets tried, longest first, when a venue writes symbols without a separator
#: (Binance ``LRCBTC``, MEXC ``BTCUSDT``).
KNOWN_QUOTES: tuple[str, ...] = tuple(
    sorted(
        (
            "USDT", "USDC", "FDUSD", "TUSD", "BUSD", "USDP", "DAI", "USD", "EUR", "GBP",
            "TRY", "BRL", "AUD", "JPY", "RUB", "UAH", "BTC", "ETH", "BNB", "XRP", "TRX",
            "DOGE", "SOL", "MX", "EURI", "USDE", "PYUSD",
        ),
        key=len,
        reverse=True,
    )
)


def canonical_asset(code: str) -> str:
    """Canonical asset code: upper-cased, venue aliases replaced (``xbt`` → ``BTC``)."""
    upper = code.upper()
    return CANONICAL_ASSETS.get(upper, upper)


def unified(base: str, quote: str, settle: str | None = None, expiry: str | None = None) -> str:
    """Build a unified symbol from venue asset codes (canonicalised here)."""
    text = f"{canonical_asset(base)}/{canonical_asset(quote)}"
    if settle:
        text += ":" + canonical_asset(settle)
        if expiry:
            text += "-" + expiry
    return text


def split(symbol: str) -> tuple[str, str]:
    """``BASE/QUOTE[:…]`` → ``(BASE, QUOTE)``; raises :class:`SymbolError` when malformed."""
    spot = symbol.split(":", 1)[0]
    base, sep, quote = spot.partition("/")
    if not sep or not base or not quote or "/" in quote:
        raise SymbolError(f"not a unified BASE/QUOTE symbol: {symbol!r}")
    return base, quote


def split_concatenated(text: str, quotes: Iterable[str] = KNOWN_QUOTES) -> tuple[str, str]:
    """Split a separator-less venue symbol (``LRCBTC``) at the longest known quote suffix."""
    upper = text.upper()
    for quote in quotes:
        if len(upper) > len(quote) and upper.endswith(quote):
            return upper[: -len(quote)], quote
    raise SymbolError(f"cannot split {text!r}: no known quote asset at its end")


class SymbolMap:
    """Both directions between one venue's symbols and unified symbols.

    ``to_unified`` and ``to_venue`` are plain dicts (the hot path indexes them directly).
    Symbols not registered up front are parsed once with the venue's parser and then
    remembered (:meth:`unified`).
    """

    __slots__ = ("venue", "to_unified", "to_venue", "_parse", "_format")

    def __init__(
        self,
        venue: str,
        parse: Callable[[str], str],
        format: Callable[[str], str],
        symbols: Iterable[str] = (),
    ) -> None:
        self.venue = venue
        self._parse = parse
        self._format = format
        self.to_unified: dict[str, str] = {}
        self.to_venue: dict[str, str] = {}
        for symbol in symbols:
            self.add(symbol)

    def add(self, symbol: str, venue_symbol: str | None = None) -> str:
        """Register a unified symbol (and its venue spelling, derived if not given)."""
        split(symbol)
        native = venue_symbol if venue_symbol is not None else self._format(symbol)
        self.to_unified[native] = symbol
        self.to_venue[symbol] = native
        return native

    def unified(self, venue_symbol: str) -> str:
        """Venue symbol → unified symbol (dict hit; parse and remember on first sight)."""
        try:
            return self.to_unified[venue_symbol]
        except KeyError:
            symbol = self._parse(venue_symbol)
            self.to_unified[venue_symbol] = symbol
            self.to_venue.setdefault(symbol, venue_symbol)
            return symbol

    def venue_symbol(self, symbol: str) -> str:
        """Unified symbol → venue spelling."""
        try:
            return self.to_venue[symbol]
        except KeyError:
            return self.add(symbol)
