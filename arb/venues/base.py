"""What every venue package provides, and helpers they share.

A venue is a sans-I/O package ``arb/venues/<venue>/``: it turns wire text into
:mod:`arb.core.events`, builds the frames and URLs to send, and knows its own sequencing
and checksum rules. It never opens a socket and never imports another venue. Each package
exposes one :class:`VenueSpec` named ``SPEC`` (built in its ``market_data.py``) and its
wire encoder (:mod:`arb.venues.wire`); :mod:`arb.venues.registry` lists them all.

Decoders are per connection (some venues number messages per connection or name
channels by ids assigned at subscribe time) and raise only
:class:`~arb.core.errors.DecodeError`.

What the transport (:mod:`arb.io`) reads from a :class:`VenueSpec`, besides decoding:

- **Frames carry the send time.** ``subscribe_frames``, ``unsubscribe_frames`` and
  ``ping_frame`` take ``now_ms`` (unix ms, the caller's clock): Gate requires ``time`` in
  every request and venue modules never read a clock.
- **Resync.** ``snapshot_source="rest"``: one REST snapshot per book (``snapshot_request``,
  signed with ``sign_request`` when credentials are given). ``snapshot_source="ws"``: the
  book resyncs by ``unsubscribe_frames`` + ``subscribe_frames`` for that one symbol on its
  connection; a venue without ``unsubscribe_frames`` resyncs by reconnecting.
- **Connecting.** ``connect_url`` names the URL; a venue with ``connect_request`` (KuCoin)
  first makes that REST call and builds the URL, ping interval and ping timeout from the
  answer (``connect_url_from_response``). ``subscribe_after`` names a :class:`Control` kind
  the server sends first (KuCoin ``welcome``): subscribe frames wait for it.
- **Keep-alive.** ``ping_frame`` every ``ping_interval_s``; no inbound frame for
  ``ping_timeout_s`` after a ping means the connection is dead. Protocol-level pings are
  answered by the websocket library.
- **Limits.** ``max_symbols_per_connection`` shards symbols over several connections,
  opened no faster than ``max_connections_per_s``;
  ``rest_budget`` is the REST weight the venue allows per window; ``max_connection_age_s``
  makes the transport roll a connection over before the venue closes it.
"""

from __future__ import annotations

import functools

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol, TypeVar
from urllib.parse import parse_qs, urlsplit

import msgspec

from arb.book.sync import Checksum, SeqRule
from arb.core.errors import DecodeError, SymbolError
from arb.core.events import BookSnapshot, Event
from arb.core.numbers import FixedParser
from arb.core.symbols import SymbolMap

_T = TypeVar("_T")

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
class RestBudget:
    """A venue's REST rate limit: ``weight`` units (its own, see :attr:`RestRequest.weight`)
    per ``window_s`` seconds, for the endpoints the feed calls (snapshots, tokens)."""

    weight: int
    window_s: float

    def __post_init__(self) -> None:
        if self.weight <= 0 or self.window_s <= 0:
            raise ValueError(f"REST budget must be positive, got {self.weight} per {self.window_s} s")


@dataclass(frozen=True)
class Credentials:
    """An API key for signed REST calls. Its ``repr`` shows nothing of it: a credential never
    reaches a log, an error or a recording."""

    key: str = field(repr=False)
    secret: str = field(repr=False)
    passphrase: str = field(default="", repr=False)

    def __repr__(self) -> str:
        return "Credentials(***)"


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
    #: ``subscribe_frames(venue_symbols, depth, now_ms) → text frames`` sent after connecting
    #: (``now_ms``: send time, unix ms). Also resubscribes one symbol (see ``unsubscribe_frames``).
    subscribe_frames: Callable[[Sequence[str], int | None, int], list[str]]
    #: ``unsubscribe_frames(venue_symbols, depth, now_ms) → text frames``: with
    #: ``subscribe_frames`` for the same symbols, a fresh in-stream snapshot of just those books
    #: (``snapshot_source="ws"``). None: such a venue resyncs a book by reconnecting.
    unsubscribe_frames: Callable[[Sequence[str], int | None, int], list[str]] | None = None
    #: ``snapshot_request(rest_url, venue_symbol, depth) → RestRequest`` (REST venues).
    snapshot_request: Callable[[str, str, int | None], RestRequest] | None = None
    #: ``decode_snapshot(url, body, ts_recv_ns, symbols, parser) → BookSnapshot``.
    decode_snapshot: Callable[[str, str | bytes, int, SymbolMap, FixedParser], BookSnapshot] | None = None
    #: Venue checksum of a book, compared with the checksum a message carries.
    checksum: Checksum | None = None
    #: Where the venue's REST snapshot URL names its symbol (query parameter).
    snapshot_symbol_param: str = "symbol"
    #: ``ping_frame(n, now_ms) → text``: the n-th application-level ping (None: the venue
    #: pings us at protocol level, or sends heartbeats itself). Its answer is inbound data,
    #: which is what idle detection watches.
    ping_frame: Callable[[int, int], str] | None = None
    #: Seconds between our pings (when ``ping_frame`` is set).
    ping_interval_s: float | None = None
    #: No inbound frame for this long after a ping: the connection is dead (None: only the
    #: transport's idle timeout applies).
    ping_timeout_s: float | None = None
    #: The venue closes connections older than this; reconnect before it does (seconds).
    max_connection_age_s: float | None = None
    #: Symbols one connection may carry (the venue's subscription cap, in symbols); the feed
    #: shards a longer list over several connections. None: no documented cap.
    max_symbols_per_connection: int | None = None
    #: Connection attempts the venue accepts per second from one IP: a feed opens its
    #: connections no faster (None: no documented limit).
    max_connections_per_s: float | None = None
    #: REST weight the venue allows per window (None: no budget enforced).
    rest_budget: RestBudget | None = None
    #: ``connect_request(rest_url) → RestRequest`` made before every connection (KuCoin's
    #: token), and ``connect_url_from_response(body, connect_id) → (url, ping_interval_s,
    #: ping_timeout_s)`` reading its answer. Both None for venues that connect directly.
    connect_request: Callable[[str], RestRequest] | None = None
    connect_url_from_response: Callable[[str | bytes, str], tuple[str, float, float]] | None = None
    #: :class:`~arb.core.events.Control` kind the server sends on connect before it accepts
    #: subscriptions (KuCoin ``"welcome"``); None: subscribe at once.
    subscribe_after: str | None = None
    #: ``sign_request(request, credentials, now_ms) → request`` with auth headers, for a
    #: snapshot endpoint that needs an API key (KuCoin's full book).
    sign_request: Callable[[RestRequest, Credentials, int], RestRequest] | None = None
    #: When the full snapshot needs credentials: the depth the venue serves publicly. A feed
    #: without credentials asks ``snapshot_request`` for this depth and cuts books to it.
    public_snapshot_depth: int | None = None

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


def decodes(venue: str) -> Callable[[Callable[..., _T]], Callable[..., _T]]:
    """Decorator for decoding functions off the hot path (REST bodies): any low-level
    failure leaves as the one documented :class:`DecodeError` (see :func:`decode_guard`).
    Frame decoders inline the same ``try`` instead: a wrapper call per frame costs."""

    def wrap(fn: Callable[..., _T]) -> Callable[..., _T]:
        @functools.wraps(fn)
        def guarded(*args: object, **kwargs: object) -> _T:
            try:
                return fn(*args, **kwargs)
            except DecodeError:
                raise
            except DECODE_FAILURES as exc:
                raise decode_guard(venue, exc) from None

        return guarded

    return wrap


def query_param(url: str, name: str) -> str:
    """One query parameter of a URL; raises ``KeyError`` when absent."""
    values = parse_qs(urlsplit(url).query).get(name)
    if not values:
        raise KeyError(name)
    return values[0]
