"""Kraken websocket v1 (the legacy, frozen API): array frames → events.

Kept because the real Kraken capture (``kraken-2021-04-17-book1000-v1``) is v1. The live
adapter speaks v2 (:mod:`arb.venues.kraken.market_data`), whose decoder hands v1 frames to
:class:`V1Decoder`, so one connection may carry either.

Wire facts (docs.kraken.com/api/docs/guides/spot-ws-book-v1, websocket v1 reference):

- Subscribe ``{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"book","depth":1000}}``;
  each pair is acked with a ``subscriptionStatus`` that assigns the channel id::

    {"channelID":992,"channelName":"book-1000","event":"subscriptionStatus","pair":"XMR/USD",
     "status":"subscribed","subscription":{"depth":1000,"name":"book"}}

- Book data frames are arrays ``[channelID, payload…, channelName, pair]``. Snapshot::

    [992,{"as":[["354.66000000","2.17919581","1618678132.912648"]],"bs":[…]},"book-1000","XMR/USD"]

  Update (one payload, or asks and bids split over two payloads in one frame)::

    [1920,{"a":[["0.042990","364630.28272081","1618678145.920470"]]},
          {"b":[["0.042990","0.00000000","1618678145.920708"]],"c":"4105471083"},"book-1000","SC/EUR"]

  Levels are ``[price, volume, timestamp]`` strings, with an optional 4th ``"r"``
  (republish: a level re-entering the subscribed depth); ``"c"`` is the CRC32 of the book
  after the whole frame (rule in :func:`arb.venues.kraken.market_data.checksum`).
- Pairs use ``XBT``/``XDG`` (unified as ``BTC``/``DOGE``). Heartbeat ``{"event":"heartbeat"}``;
  ping ``{"event":"ping","reqid":n}`` → ``{"event":"pong","reqid":n}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from arb.core.errors import DecodeError, SymbolError
from arb.core.events import BookDelta, BookSnapshot, Control, Event, Subscribed
from arb.core.symbols import split, unified
from arb.venues.base import DECODE_FAILURES, decode_guard

NAME = "kraken"
WS_URL = "wss://ws.kraken.com"
#: Depth Kraken uses when a subscription names none.
DEFAULT_DEPTH = 10

_json = msgspec.json.Decoder()

#: v1 channel names we recognise and do not use (``ohlc-5`` etc. match by prefix).
_IGNORED_CHANNELS = frozenset({"trade", "ticker", "spread", "openOrders", "ownTrades"})
_IGNORED_PREFIXES = ("ohlc",)

#: v1 spellings of canonical assets, for building v1 pair names.
_V1_ASSETS = {"BTC": "XBT", "DOGE": "XDG"}


def parse_pair(pair: str) -> str:
    """v1 pair ``XBT/USD`` → unified ``BTC/USD``."""
    base, quote = split(pair)
    if ":" in pair:
        raise SymbolError(f"not a Kraken pair: {pair[:40]!r}")
    return unified(base, quote)


def format_pair(symbol: str) -> str:
    """Unified ``BTC/USD`` → v1 pair ``XBT/USD``."""
    base, quote = split(symbol)
    return f"{_V1_ASSETS.get(base, base)}/{_V1_ASSETS.get(quote, quote)}"


def subscribe_frames(pairs: Sequence[str], depth: int | None) -> list[str]:
    """v1 subscribe request for the ``book`` channel of ``pairs`` (v1 spelling)."""
    msg = {"event": "subscribe", "pair": list(pairs), "subscription": {"name": "book", "depth": depth or DEFAULT_DEPTH}}
    return [msgspec.json.encode(msg).decode()]


def ping_frame(n: int) -> str:
    return f'{{"event":"ping","reqid":{int(n)}}}'


def _ts_ns(text: object) -> int:
    """v1 level time ``"1618678133.414221"`` (seconds) → int ns."""
    if type(text) is not str:
        raise ValueError("level time is not a string")
    sec, _, frac = text.partition(".")
    if not (sec.isdigit() and sec.isascii() and (not frac or (frac.isdigit() and frac.isascii() and len(frac) <= 9))):
        raise ValueError(f"bad level time {text[:40]!r}")
    return int(sec) * 1_000_000_000 + (int(frac.ljust(9, "0")) if frac else 0)


def _levels(raw: object) -> tuple[list[tuple[str, str]], str]:
    """``[[price, volume, time(, "r")], …]`` → ``[(price, volume), …]`` and the latest time."""
    if type(raw) is not list:
        raise ValueError("levels are not a list")
    levels = []
    latest = ""
    for lv in raw:
        if type(lv) is not list or not 3 <= len(lv) <= 4:
            raise ValueError("level is not [price, volume, time(, flag)]")
        price, qty, ts = lv[0], lv[1], lv[2]
        if type(price) is not str or type(qty) is not str or type(ts) is not str:
            raise ValueError("level fields are not strings")
        levels.append((price, qty))
        if ts > latest:
            latest = ts
    return levels, latest


class V1Decoder:
    """Decoder for one Kraken websocket v1 connection.

    State: ``channels`` maps the channel ids assigned by ``subscriptionStatus`` to
    unified symbols (channel ids are per connection).
    """

    __slots__ = ("channels", "_pairs")

    def __init__(self) -> None:
        self.channels: dict[int, str] = {}
        self._pairs: dict[str, str] = {}

    def _symbol(self, pair: str) -> str:
        symbol = self._pairs.get(pair)
        if symbol is None:
            symbol = self._pairs[pair] = parse_pair(pair)
        return symbol

    def decode(self, frame: str | bytes, ts_recv_ns: int) -> list[Event]:
        try:
            msg = _json.decode(frame)
            if type(msg) is list:
                return self._on_array(msg, ts_recv_ns)
            if type(msg) is dict:
                return self._on_event(msg, ts_recv_ns)
            raise DecodeError(NAME, "unknown-message", f"v1 frame of type {type(msg).__name__}")
        except DecodeError:
            raise
        except DECODE_FAILURES as exc:
            raise decode_guard(NAME, exc) from None

    def _on_array(self, msg: list[Any], ts_recv_ns: int) -> list[Event]:
        """``[992,{"b":[["354.13000000","0.00000000","1618678133.414221"]],"c":"1453093704"},"book-1000","XMR/USD"]``"""
        if len(msg) < 4 or type(msg[0]) is not int or type(msg[-2]) is not str or type(msg[-1]) is not str:
            raise DecodeError(NAME, "schema", "v1 array frame is not [channelID, payload…, channelName, pair]")
        name = msg[-2]
        if not name.startswith("book"):
            if name in _IGNORED_CHANNELS or name.startswith(_IGNORED_PREFIXES):
                return []
            raise DecodeError(NAME, "unknown-message", f"v1 channel {name[:40]!r}")
        symbol = self.channels.get(msg[0]) or self._symbol(msg[-1])
        payloads = msg[1:-2]
        if len(payloads) == 1 and ("as" in payloads[0] or "bs" in payloads[0]):
            return [self._snapshot(symbol, payloads[0], ts_recv_ns)]
        bids: list[tuple[str, str]] = []
        asks: list[tuple[str, str]] = []
        checksum = None
        latest = ""
        for payload in payloads:
            if type(payload) is not dict or not payload or not payload.keys() <= {"a", "b", "c"}:
                raise DecodeError(NAME, "schema", "v1 book payload is not {a?, b?, c?}")
            if "a" in payload:
                levels, ts = _levels(payload["a"])
                asks += levels
                latest = max(latest, ts)
            if "b" in payload:
                levels, ts = _levels(payload["b"])
                bids += levels
                latest = max(latest, ts)
            if "c" in payload:
                checksum = _checksum(payload["c"])
        if not bids and not asks:
            raise DecodeError(NAME, "schema", "v1 book update without levels")
        if checksum is None:
            raise DecodeError(NAME, "schema", "v1 book update without checksum")
        return [BookDelta(symbol, bids, asks, None, None, _ts_ns(latest), ts_recv_ns, None, checksum)]

    def _snapshot(self, symbol: str, payload: dict[str, Any], ts_recv_ns: int) -> BookSnapshot:
        """``[992,{"as":[["354.66000000","2.17919581","1618678132.912648"],…],"bs":[…]},"book-1000","XMR/USD"]``"""
        if not payload.keys() <= {"as", "bs", "c"}:
            raise DecodeError(NAME, "schema", "v1 snapshot payload is not {as, bs}")
        asks, ts_a = _levels(payload.get("as", []))
        bids, ts_b = _levels(payload.get("bs", []))
        latest = max(ts_a, ts_b)
        checksum = _checksum(payload["c"]) if "c" in payload else None
        return BookSnapshot(symbol, bids, asks, None, _ts_ns(latest) if latest else 0, ts_recv_ns, checksum, "ws")

    def _on_event(self, msg: dict[str, Any], ts_recv_ns: int) -> list[Event]:
        """``{"event":"heartbeat"}``, ``systemStatus``, ``subscriptionStatus``, ``pong``, ``error``."""
        event = msg.get("event")
        if event == "heartbeat":
            return [Control("heartbeat", "", ts_recv_ns)]
        if event == "subscriptionStatus":
            return self._on_subscription(msg, ts_recv_ns)
        if event == "systemStatus":
            return [Control("status", str(msg.get("status", ""))[:40], ts_recv_ns)]
        if event == "pong":
            return [Control("pong", f"reqid={msg.get('reqid')}", ts_recv_ns)]
        if event == "error":
            return [Control("error", str(msg.get("errorMessage", ""))[:200], ts_recv_ns)]
        raise DecodeError(NAME, "unknown-message", f"v1 event {str(event)[:40]!r}")

    def _on_subscription(self, msg: dict[str, Any], ts_recv_ns: int) -> list[Event]:
        """``{"channelID":992,"channelName":"book-1000","event":"subscriptionStatus","pair":"XMR/USD",
        "status":"subscribed","subscription":{"depth":1000,"name":"book"}}``"""
        status = msg.get("status")
        pair = msg.get("pair")
        sub = msg.get("subscription")
        if status == "error":
            return [Control("error", f"{pair}: {msg.get('errorMessage', '')}"[:200], ts_recv_ns)]
        if type(pair) is not str or type(sub) is not dict or status not in ("subscribed", "unsubscribed"):
            raise DecodeError(NAME, "schema", "subscriptionStatus without pair/subscription/status")
        symbol = self._symbol(pair)
        channel = msg.get("channelID")
        if status == "unsubscribed":
            if type(channel) is int:
                self.channels.pop(channel, None)
            return [Control("unsubscribed", pair, ts_recv_ns, symbol)]
        if sub.get("name") != "book":
            return [Control("ack", f"{sub.get('name')} {pair}"[:80], ts_recv_ns, symbol)]
        depth = sub.get("depth", DEFAULT_DEPTH)
        if type(channel) is not int or type(depth) is not int or depth <= 0:
            raise DecodeError(NAME, "schema", "book subscriptionStatus without channelID/depth")
        self.channels[channel] = symbol
        return [Subscribed(symbol, depth, ts_recv_ns)]


def _checksum(text: object) -> int:
    """``"c":"1453093704"`` → int (unsigned CRC32)."""
    if type(text) is not str or not (text.isdigit() and text.isascii()) or len(text) > 10:
        raise ValueError("checksum is not an unsigned decimal string")
    value = int(text)
    if value >= 1 << 32:
        raise ValueError("checksum is not a 32-bit value")
    return value
