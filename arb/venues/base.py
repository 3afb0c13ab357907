"""What every venue module provides, and helpers they share.

A venue module is sans-I/O: it turns wire text into :mod:`arb.core.events`, builds the
frames and URLs to send, and knows its own sequencing and checksum rules. It never opens
a socket and never imports another venue. Each module exposes one :class:`VenueSpec`
named ``SPEC``; :mod:`arb.venues.registry` lists them all.

Decoders are per connection (some venues number messages per connection or name
channels by ids assigned at subscribe time) and raise only
:class:`~arb.core.errors.DecodeError`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

import msgspec

from arb.book.sync import Checksum, SeqRule
from arb.core.errors import DecodeError, SymbolError
from arb.core.events import BookSnapshot, Event
from arb.core.numbers import FixedParser
from arb.core.symbols import SymbolMap

#: Exceptions a decoder may hit on hostile input; :func:`decode_guard` turns them into
#: :class:`DecodeError`. (``ValueError`` includes ``UnicodeDecodeError``; msgspec's
#: ``DecodeError`` includes its ``ValidationError``.)
DECODE_FAILURES = (
    msgspec.DecodeError,
    SymbolError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    OverflowError,
    RecursionError,
)


class Decoder(Protocol):
    """Per-connection decoder: ``decode(frame, ts_recv_ns) → events``."""

    def decode(self, frame: str | bytes, ts_recv_ns: int) -> list[Event]:
        """Decode one websocket frame (text, or bytes for binary frames).

        Returns the events it carries (often none: acks, trades, candles). Raises
        :class:`DecodeError` — and nothing else — for malformed or unknown frames.
        """
        ...


@dataclass(frozen=True)
class Fees:
    """Default fee rates as exact fractions (0.001 = 0.1 %). Config may override them."""

    taker: Decimal
    maker: Decimal


@dataclass(frozen=True)
class RestRequest:
    """A REST call described, not made: the transport layer performs it."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    #: Weight against the venue's rate budget (its own units).
    weight: int = 1


@dataclass(frozen=True)
class VenueSpec:
    """Everything arb needs to know about one venue, as plain values and functions."""

    name: str
    #: How deltas chain onto a book (see :class:`arb.book.sync.SeqRule`).
    seq_rule: SeqRule
    #: Where a (re)sync snapshot comes from: "rest" (ask for one) or "ws" (resubscribe).
    snapshot_source: str
    #: Book depth subscribed and truncated to (None: unlimited).
    depth: int | None
    fees: Fees
    ws_url: str
    rest_url: str
    #: Venue symbol ↔ unified symbol.
    parse_symbol: Callable[[str], str]
    format_symbol: Callable[[str], str]
    #: ``decoder(symbols, parser) → Decoder`` for one connection.
    decoder: Callable[[SymbolMap, FixedParser], Decoder]
    #: ``connect_url(ws_url, venue_symbols, depth) → url`` (Binance names streams in the URL).
    connect_url: Callable[[str, Sequence[str], int | None], str]
    #: ``subscribe_frames(venue_symbols, depth) → text frames`` sent after connecting.
    subscribe_frames: Callable[[Sequence[str], int | None], list[str]]
    #: ``snapshot_request(rest_url, venue_symbol, depth) → RestRequest`` (REST venues).
    snapshot_request: Callable[[str, str, int | None], RestRequest] | None = None
    #: ``decode_snapshot(url, body, ts_recv_ns, symbols, parser) → BookSnapshot``.
    decode_snapshot: Callable[[str, str | bytes, int, SymbolMap, FixedParser], BookSnapshot] | None = None
    #: Venue checksum of a book, compared with the checksum a message carries.
    checksum: Checksum | None = None
    #: Where the venue's REST snapshot URL names its symbol (query parameter).
    snapshot_symbol_param: str = "symbol"
    #: ``ping_frame(n) → text`` for venues that want application-level pings (None: the
    #: venue pings us at protocol level, or sends heartbeats itself).
    ping_frame: Callable[[int], str] | None = None
    #: Seconds between our pings (when ``ping_frame`` is set).
    ping_interval_s: float | None = None
    #: The venue closes connections older than this; reconnect before it does (seconds).
    max_connection_age_s: float | None = None

    def symbol_map(self, symbols: Sequence[str] = ()) -> SymbolMap:
        return SymbolMap(self.name, self.parse_symbol, self.format_symbol, symbols)


def decode_guard(venue: str, exc: BaseException) -> DecodeError:
    """Wrap a low-level failure into the one documented decode error."""
    if isinstance(exc, SymbolError):
        reason = "symbol"
    elif isinstance(exc, msgspec.ValidationError):
        reason = "schema"
    elif isinstance(exc, msgspec.DecodeError):
        reason = "json"
    elif isinstance(exc, UnicodeDecodeError):
        reason = "encoding"
    elif isinstance(exc, (ValueError, OverflowError)):
        reason = "value"
    else:
        reason = "shape"
    return DecodeError(venue, reason, f"{type(exc).__name__}: {str(exc)[:200]}")


def query_param(url: str, name: str) -> str:
    """One query parameter of a URL; raises ``KeyError`` when absent."""
    values = parse_qs(urlsplit(url).query).get(name)
    if not values:
        raise KeyError(name)
    return values[0]


def ms_to_ns(ms: int) -> int:
    return ms * 1_000_000
