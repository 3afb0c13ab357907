"""MEXC push frames: a small hand-written protobuf wire-format reader and writer.

MEXC's websocket pushes are binary ``PushDataV3ApiWrapper`` messages. This module reads
and writes the protobuf wire format directly (varints, length-delimited fields, unknown
fields of every wire type skipped), driven by the field numbers of MEXC's official
schemas (``samples/venues/mexc/proto``, mexcdevelop/websocket-proto @ 7b8ac7a,
Apache-2.0). A hand-written reader needs no generated code in the tree and no ``protoc``
at run time; the tests prove it against the official runtime on random messages.

Messages read (field numbers from the official ``.proto`` files)::

    PushDataV3ApiWrapper        channel=1 (string), oneof body 301..315 (messages),
                                symbol=3, symbolId=4 (optional string),
                                createTime=5, sendTime=6 (optional int64)
    PublicIncreaseDepthsV3Api   (302) asks=1, bids=2, eventType=3, version=4
    PublicLimitDepthsV3Api      (303) asks=1, bids=2, eventType=3, version=4, lastOrderCreateTime=5
    PublicIncreaseDepthsBatchV3Api (312) items=1 (PublicIncreaseDepthsV3Api), eventType=2
    PublicAggreDepthsV3Api      (313) asks=1, bids=2, eventType=3, fromVersion=4, toVersion=5,
                                lastOrderCreateTime=6
    PublicAggreBookTickerV3Api  (315) bidPrice=1, bidQuantity=2, askPrice=3, askQuantity=4,
                                version=5, lastOrderCreateTime=6
    depth items (all of them)   price=1, quantity=2 (strings) → a level ``(price, quantity)``

The private stream's bodies are read by :func:`decode_private_wrapper` only (the market
data path never parses them)::

    PrivateOrdersV3Api          (304) id=1, clientId=2, price=3, quantity=4, amount=5,
                                avgPrice=6, orderType=7, tradeType=8 (int32), isMaker=9 (bool),
                                remainAmount=10, remainQuantity=11, lastDealQuantity=12
                                (optional), cumulativeQuantity=13, cumulativeAmount=14,
                                status=15 (int32), createTime=16 (int64); 17..26 unread
    PrivateDealsV3Api           (306) price=1, quantity=2, amount=3, tradeType=4 (int32),
                                isMaker=5, isSelfTrade=6 (bool), tradeId=7, clientOrderId=8,
                                orderId=9, feeAmount=10, feeCurrency=11, time=12 (int64)

Other bodies (301 deals, 305 book ticker, 307 private account, 308 kline, 309/310 mini
tickers, 311 book ticker batch, 314 aggregated deals) are recognised by field number and
left unparsed (``body`` None). Protobuf semantics kept: the last value of a
scalar field wins; a message field seen twice is merged (its chunks concatenated, which
is what parsing the concatenation means); a different oneof member replaces the body; a
known field number with an unexpected wire type is an unknown field. Truncated input,
varints longer than 10 bytes or above 2**64, field number 0, wire types 6/7, unmatched
groups and invalid UTF-8 in strings raise :class:`~arb.core.errors.DecodeError`
(reason ``protobuf``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import msgspec

from arb.core.errors import DecodeError

VENUE = "mexc"

# Wrapper fields.
CHANNEL = 1
SYMBOL = 3
SYMBOL_ID = 4
CREATE_TIME = 5
SEND_TIME = 6

# Wrapper ``oneof body`` members.
PUBLIC_DEALS = 301
PUBLIC_INCREASE_DEPTHS = 302
PUBLIC_LIMIT_DEPTHS = 303
PRIVATE_ORDERS = 304
PUBLIC_BOOK_TICKER = 305
PRIVATE_DEALS = 306
PRIVATE_ACCOUNT = 307
PUBLIC_SPOT_KLINE = 308
PUBLIC_MINI_TICKER = 309
PUBLIC_MINI_TICKERS = 310
PUBLIC_BOOK_TICKER_BATCH = 311
PUBLIC_INCREASE_DEPTHS_BATCH = 312
PUBLIC_AGGRE_DEPTHS = 313
PUBLIC_AGGRE_DEALS = 314
PUBLIC_AGGRE_BOOK_TICKER = 315
BODY_FIELDS = frozenset(range(301, 316))

_VARINT, _I64, _LEN, _SGROUP, _EGROUP, _I32 = 0, 1, 2, 3, 4, 5
_U64 = 1 << 64
_I64_MIN = 1 << 63


Level = tuple[str, str]


class AggreDepths(msgspec.Struct, gc=False):
    """``PublicAggreDepthsV3Api`` (313): aggregated diff depth over ``fromVersion..toVersion``."""

    asks: list[Level]
    bids: list[Level]
    event_type: str = ""
    from_version: str = ""
    to_version: str = ""
    last_order_create_time: int = 0


class LimitDepths(msgspec.Struct, gc=False):
    """``PublicLimitDepthsV3Api`` (303): the top N levels at ``version``."""

    asks: list[Level]
    bids: list[Level]
    event_type: str = ""
    version: str = ""
    last_order_create_time: int = 0


class IncreaseDepths(msgspec.Struct, gc=False):
    """``PublicIncreaseDepthsV3Api`` (302, legacy): one diff at ``version``."""

    asks: list[Level]
    bids: list[Level]
    event_type: str = ""
    version: str = ""


class IncreaseDepthsBatch(msgspec.Struct, gc=False):
    """``PublicIncreaseDepthsBatchV3Api`` (312): consecutive diffs."""

    items: list[IncreaseDepths]
    event_type: str = ""


class AggreBookTicker(msgspec.Struct, gc=False):
    """``PublicAggreBookTickerV3Api`` (315): the venue's best bid/ask at ``version``."""

    bid_price: str = ""
    bid_quantity: str = ""
    ask_price: str = ""
    ask_quantity: str = ""
    version: str = ""
    last_order_create_time: int = 0


Body = AggreDepths | LimitDepths | IncreaseDepths | IncreaseDepthsBatch | AggreBookTicker


class PrivateOrder(msgspec.Struct, gc=False):
    """``PrivateOrdersV3Api`` (304): one order's state after a change (cumulative figures).
    ``status``: 1 new, 2 filled, 3 partially filled, 4 cancelled, 5 partially cancelled;
    ``order_type``: 1 limit, 2 post only, 3 immediate-or-cancel, 4 fill-or-kill, 5 market;
    ``trade_type``: 1 buy, 2 sell."""

    id: str = ""
    client_id: str = ""
    price: str = ""
    quantity: str = ""
    amount: str = ""
    avg_price: str = ""
    order_type: int = 0
    trade_type: int = 0
    is_maker: bool = False
    remain_amount: str = ""
    remain_quantity: str = ""
    last_deal_quantity: str | None = None
    cumulative_quantity: str = ""
    cumulative_amount: str = ""
    status: int = 0
    create_time: int = 0


class PrivateDeal(msgspec.Struct, gc=False):
    """``PrivateDealsV3Api`` (306): one execution of one of the account's orders, with its fee."""

    price: str = ""
    quantity: str = ""
    amount: str = ""
    trade_type: int = 0
    is_maker: bool = False
    is_self_trade: bool = False
    trade_id: str = ""
    client_order_id: str = ""
    order_id: str = ""
    fee_amount: str = ""
    fee_currency: str = ""
    time: int = 0


PrivateBody = PrivateOrder | PrivateDeal


class Wrapper(msgspec.Struct, gc=False):
    """``PushDataV3ApiWrapper``. ``body_field`` is the oneof member's number (0: none);
    ``body`` its decoded message (None for members we do not read). When writing, ``body``
    may also be the member's already-encoded bytes."""

    channel: str = ""
    body_field: int = 0
    body: Body | PrivateBody | bytes | None = None
    symbol: str | None = None
    symbol_id: str | None = None
    create_time: int | None = None
    send_time: int | None = None


# -- reading -----------------------------------------------------------------------------
def _fail(detail: str) -> DecodeError:
    return DecodeError(VENUE, "protobuf", detail)


def _varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """Read a varint at ``pos`` (not beyond ``end``) → ``(value, next_pos)``."""
    result = 0
    shift = 0
    while pos < end:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            if result >= _U64:
                raise _fail("varint above 2**64")
            return result, pos
        shift += 7
        if shift >= 70:
            raise _fail("varint longer than 10 bytes")
    raise _fail("truncated varint")


def _key(buf: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """Read a field key → ``(field_number, wire_type, next_pos)``."""
    key = buf[pos]
    if key < 0x80:
        pos += 1
    else:
        key, pos = _varint(buf, pos, end)
    field = key >> 3
    if field == 0 or field >= 1 << 29:
        raise _fail(f"invalid field number {field}")
    return field, key & 7, pos


def _length(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """Read a length prefix → ``(payload_end, payload_start)``, checked against ``end``."""
    size = buf[pos] if pos < end else 0x80
    if size < 0x80:
        pos += 1
    else:
        size, pos = _varint(buf, pos, end)
    stop = pos + size
    if stop > end:
        raise _fail("truncated length-delimited field")
    return stop, pos


def _skip(buf: bytes, pos: int, end: int, field: int, wire: int) -> int:
    """Skip one field's value of any wire type (groups included) → next position."""
    if wire == _VARINT:
        return _varint(buf, pos, end)[1]
    if wire == _LEN:
        return _length(buf, pos, end)[0]
    if wire == _I64:
        pos += 8
    elif wire == _I32:
        pos += 4
    elif wire == _SGROUP:
        while True:
            if pos >= end:
                raise _fail("truncated group")
            inner, inner_wire, pos = _key(buf, pos, end)
            if inner_wire == _EGROUP:
                if inner != field:
                    raise _fail("mismatched end group")
                return pos
            pos = _skip(buf, pos, end, inner, inner_wire)
    elif wire == _EGROUP:
        raise _fail("unexpected end group")
    else:
        raise _fail(f"invalid wire type {wire}")
    if pos > end:
        raise _fail("truncated fixed-width field")
    return pos


def _int64(value: int) -> int:
    return value - _U64 if value >= _I64_MIN else value


def _item(buf: bytes, pos: int, end: int) -> Level:
    """A depth item ``{price=1, quantity=2}`` → ``(price, quantity)``."""
    # Fast path: the usual layout, two short strings in field order.
    if end - pos >= 4 and buf[pos] == 0x0A:
        n = buf[pos + 1]
        p = pos + 2 + n
        if n < 0x80 and p + 2 <= end and buf[p] == 0x12:
            m = buf[p + 1]
            if m < 0x80 and p + 2 + m == end:
                return buf[pos + 2 : p].decode(), buf[p + 2 : end].decode()
    price = quantity = ""
    while pos < end:
        field, wire, pos = _key(buf, pos, end)
        if wire == _LEN and (field == 1 or field == 2):
            stop, pos = _length(buf, pos, end)
            if field == 1:
                price = buf[pos:stop].decode()
            else:
                quantity = buf[pos:stop].decode()
            pos = stop
        else:
            pos = _skip(buf, pos, end, field, wire)
    return price, quantity


def _depths(buf: bytes, pos: int, end: int, strings: int, int_field: int) -> tuple[list[Level], list[Level], list[str], int]:
    """The layout shared by the depth messages: asks=1, bids=2 (items), string fields
    3..``strings``, an int64 at ``int_field`` (0: none)."""
    asks: list[Level] = []
    bids: list[Level] = []
    texts = [""] * (strings - 2)
    number = 0
    while pos < end:
        # Inlined single-byte key and length (the hot loop: one turn per level).
        key = buf[pos]
        if key < 0x80 and key >= 0x08:
            pos += 1
            field = key >> 3
            wire = key & 7
        else:
            field, wire, pos = _key(buf, pos, end)
        if wire == _LEN and field <= strings:
            size = buf[pos] if pos < end else 0x80
            if size < 0x80:
                pos += 1
                stop = pos + size
                if stop > end:
                    raise _fail("truncated length-delimited field")
            else:
                stop, pos = _length(buf, pos, end)
            if field == 1:
                asks.append(_item(buf, pos, stop))
            elif field == 2:
                bids.append(_item(buf, pos, stop))
            else:
                texts[field - 3] = buf[pos:stop].decode()
            pos = stop
        elif wire == _VARINT and field == int_field:
            number, pos = _varint(buf, pos, end)
        else:
            pos = _skip(buf, pos, end, field, wire)
    return asks, bids, texts, _int64(number)


def _aggre_depths(buf: bytes, pos: int, end: int) -> AggreDepths:
    asks, bids, (event_type, first, last), t = _depths(buf, pos, end, 5, 6)
    return AggreDepths(asks, bids, event_type, first, last, t)


def _limit_depths(buf: bytes, pos: int, end: int) -> LimitDepths:
    asks, bids, (event_type, version), t = _depths(buf, pos, end, 4, 5)
    return LimitDepths(asks, bids, event_type, version, t)


def _increase_depths(buf: bytes, pos: int, end: int) -> IncreaseDepths:
    asks, bids, (event_type, version), _ = _depths(buf, pos, end, 4, 0)
    return IncreaseDepths(asks, bids, event_type, version)


def _increase_depths_batch(buf: bytes, pos: int, end: int) -> IncreaseDepthsBatch:
    items: list[IncreaseDepths] = []
    event_type = ""
    while pos < end:
        field, wire, pos = _key(buf, pos, end)
        if wire == _LEN and (field == 1 or field == 2):
            stop, pos = _length(buf, pos, end)
            if field == 1:
                items.append(_increase_depths(buf, pos, stop))
            else:
                event_type = buf[pos:stop].decode()
            pos = stop
        else:
            pos = _skip(buf, pos, end, field, wire)
    return IncreaseDepthsBatch(items, event_type)


def _aggre_book_ticker(buf: bytes, pos: int, end: int) -> AggreBookTicker:
    texts = ["", "", "", "", ""]
    number = 0
    while pos < end:
        field, wire, pos = _key(buf, pos, end)
        if wire == _LEN and field <= 5:
            stop, pos = _length(buf, pos, end)
            texts[field - 1] = buf[pos:stop].decode()
            pos = stop
        elif wire == _VARINT and field == 6:
            number, pos = _varint(buf, pos, end)
        else:
            pos = _skip(buf, pos, end, field, wire)
    bid_price, bid_quantity, ask_price, ask_quantity, version = texts
    return AggreBookTicker(bid_price, bid_quantity, ask_price, ask_quantity, version, _int64(number))


# Private bodies: flat messages of strings and varints, read by a field table.
_K_STR, _K_INT32, _K_INT64, _K_BOOL = "string", "int32", "int64", "bool"
#: field number → (attribute, kind), per private message (the official numbers).
_ORDER_FIELDS = {
    1: ("id", _K_STR), 2: ("client_id", _K_STR), 3: ("price", _K_STR), 4: ("quantity", _K_STR), 5: ("amount", _K_STR),
    6: ("avg_price", _K_STR), 7: ("order_type", _K_INT32), 8: ("trade_type", _K_INT32), 9: ("is_maker", _K_BOOL),
    10: ("remain_amount", _K_STR), 11: ("remain_quantity", _K_STR), 12: ("last_deal_quantity", _K_STR),
    13: ("cumulative_quantity", _K_STR), 14: ("cumulative_amount", _K_STR), 15: ("status", _K_INT32), 16: ("create_time", _K_INT64),
}
_DEAL_FIELDS = {
    1: ("price", _K_STR), 2: ("quantity", _K_STR), 3: ("amount", _K_STR), 4: ("trade_type", _K_INT32), 5: ("is_maker", _K_BOOL),
    6: ("is_self_trade", _K_BOOL), 7: ("trade_id", _K_STR), 8: ("client_order_id", _K_STR), 9: ("order_id", _K_STR),
    10: ("fee_amount", _K_STR), 11: ("fee_currency", _K_STR), 12: ("time", _K_INT64),
}


def _flat(buf: bytes, pos: int, end: int, table: dict[int, tuple[str, str]]) -> dict[str, object]:
    """The known fields of a flat message (strings and varints; the last value wins, a known
    number with another wire type is an unknown field)."""
    values: dict[str, object] = {}
    while pos < end:
        field, wire, pos = _key(buf, pos, end)
        known = table.get(field)
        if known is not None:
            name, kind = known
            if kind == _K_STR and wire == _LEN:
                stop, pos = _length(buf, pos, end)
                values[name] = buf[pos:stop].decode()
                pos = stop
                continue
            if kind != _K_STR and wire == _VARINT:
                value, pos = _varint(buf, pos, end)
                if kind == _K_INT32:  # protobuf keeps the low 32 bits, signed
                    value &= 0xFFFFFFFF
                    values[name] = value - (1 << 32) if value >= 1 << 31 else value
                elif kind == _K_BOOL:
                    values[name] = value != 0
                else:
                    values[name] = _int64(value)
                continue
        pos = _skip(buf, pos, end, field, wire)
    return values


def _private_order(buf: bytes, pos: int, end: int) -> PrivateOrder:
    # convert, not PrivateOrder(**…): the field table's kinds are the struct's types, checked.
    return msgspec.convert(_flat(buf, pos, end, _ORDER_FIELDS), PrivateOrder)


def _private_deal(buf: bytes, pos: int, end: int) -> PrivateDeal:
    return msgspec.convert(_flat(buf, pos, end, _DEAL_FIELDS), PrivateDeal)


_PRIVATE_READERS: dict[int, Callable[[bytes, int, int], Body | PrivateBody]] = {
    PRIVATE_ORDERS: _private_order,
    PRIVATE_DEALS: _private_deal,
}

_BODY_READERS: dict[int, Callable[[bytes, int, int], Body]] = {
    PUBLIC_AGGRE_DEPTHS: _aggre_depths,
    PUBLIC_LIMIT_DEPTHS: _limit_depths,
    PUBLIC_INCREASE_DEPTHS: _increase_depths,
    PUBLIC_INCREASE_DEPTHS_BATCH: _increase_depths_batch,
    PUBLIC_AGGRE_BOOK_TICKER: _aggre_book_ticker,
}


def decode_wrapper(frame: object) -> Wrapper:
    """Parse one binary push frame. Raises only :class:`DecodeError` (reason ``protobuf``)."""
    return _decode(frame, _BODY_READERS)


def decode_private_wrapper(frame: object) -> Wrapper:
    """Parse one push of the private stream: the order (304) and deal (306) bodies read, the
    others left unparsed. Raises only :class:`DecodeError` (reason ``protobuf``)."""
    return _decode(frame, _PRIVATE_READERS)


def _decode(frame: object, readers: Mapping[int, Callable[[bytes, int, int], Body | PrivateBody]]) -> Wrapper:
    if type(frame) is not bytes:
        if not isinstance(frame, (bytearray, memoryview)):
            raise _fail(f"expected bytes, got {type(frame).__name__}")
        frame = bytes(frame)
    try:
        return _wrapper(frame, readers)
    except UnicodeDecodeError:
        raise _fail("invalid UTF-8 in a string field") from None
    except IndexError:  # every read is bounds-checked; this is a last line of defence
        raise _fail("truncated message") from None


def _wrapper(buf: bytes, readers: Mapping[int, Callable[[bytes, int, int], Body | PrivateBody]]) -> Wrapper:
    end = len(buf)
    pos = 0
    msg = Wrapper()
    body_field = 0
    chunks: list[tuple[int, int]] = []
    while pos < end:
        field, wire, pos = _key(buf, pos, end)
        if wire == _LEN:
            if field in BODY_FIELDS:
                stop, pos = _length(buf, pos, end)
                if field != body_field:
                    body_field = field
                    chunks = []
                chunks.append((pos, stop))
                pos = stop
                continue
            if field == CHANNEL or field == SYMBOL or field == SYMBOL_ID:
                stop, pos = _length(buf, pos, end)
                text = buf[pos:stop].decode()
                if field == CHANNEL:
                    msg.channel = text
                elif field == SYMBOL:
                    msg.symbol = text
                else:
                    msg.symbol_id = text
                pos = stop
                continue
        elif wire == _VARINT and (field == CREATE_TIME or field == SEND_TIME):
            value, pos = _varint(buf, pos, end)
            if field == CREATE_TIME:
                msg.create_time = _int64(value)
            else:
                msg.send_time = _int64(value)
            continue
        pos = _skip(buf, pos, end, field, wire)
    msg.body_field = body_field
    reader = readers.get(body_field)
    if reader is not None:
        if len(chunks) == 1:
            start, stop = chunks[0]
            msg.body = reader(buf, start, stop)
        else:  # a message field seen more than once: protobuf merges = parses the concatenation
            joined = b"".join(buf[a:b] for a, b in chunks)
            msg.body = reader(joined, 0, len(joined))
    return msg


# -- writing -----------------------------------------------------------------------------
def _put_varint(out: bytearray, value: int) -> None:
    if value < 0:
        value += _U64
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def _put_len(out: bytearray, field: int, payload: bytes) -> None:
    _put_varint(out, field << 3 | _LEN)
    _put_varint(out, len(payload))
    out += payload


def _put_str(out: bytearray, field: int, text: str | None, presence: bool = False) -> None:
    """A string field; proto3 omits the default ``""`` unless the field has presence."""
    if text is None or (not text and not presence):
        return
    _put_len(out, field, text.encode())


def _put_int(out: bytearray, field: int, value: int | None, presence: bool = False) -> None:
    if value is None or (not value and not presence):
        return
    _put_varint(out, field << 3 | _VARINT)
    _put_varint(out, value)


def _put_items(out: bytearray, field: int, levels: list[Level]) -> None:
    for price, quantity in levels:
        item = bytearray()
        _put_str(item, 1, price)
        _put_str(item, 2, quantity)
        _put_len(out, field, bytes(item))


def _put_flat(out: bytearray, body: PrivateBody, table: dict[int, tuple[str, str]]) -> None:
    for field, (name, kind) in table.items():  # in field-number order
        value = getattr(body, name)
        if kind == _K_STR:
            _put_str(out, field, value, presence=name == "last_deal_quantity")
        else:
            _put_int(out, field, int(value))


def _encode_body(body: Body | PrivateBody) -> bytes:
    out = bytearray()
    if type(body) is PrivateOrder:
        _put_flat(out, body, _ORDER_FIELDS)
    elif type(body) is PrivateDeal:
        _put_flat(out, body, _DEAL_FIELDS)
    elif type(body) is AggreBookTicker:
        for field, text in enumerate((body.bid_price, body.bid_quantity, body.ask_price, body.ask_quantity, body.version), 1):
            _put_str(out, field, text)
        _put_int(out, 6, body.last_order_create_time)
    elif type(body) is IncreaseDepthsBatch:
        for item in body.items:
            _put_len(out, 1, _encode_body(item))
        _put_str(out, 2, body.event_type)
    elif type(body) is AggreDepths:
        _put_depths(out, body)
        _put_str(out, 4, body.from_version)
        _put_str(out, 5, body.to_version)
        _put_int(out, 6, body.last_order_create_time)
    elif type(body) is LimitDepths:
        _put_depths(out, body)
        _put_str(out, 4, body.version)
        _put_int(out, 5, body.last_order_create_time)
    elif type(body) is IncreaseDepths:
        _put_depths(out, body)
        _put_str(out, 4, body.version)
    else:
        raise TypeError(f"not a MEXC body message: {type(body).__name__}")
    return bytes(out)


def _put_depths(out: bytearray, body: AggreDepths | LimitDepths | IncreaseDepths) -> None:
    """The fields the depth messages share: asks=1, bids=2, eventType=3."""
    _put_items(out, 1, body.asks)
    _put_items(out, 2, body.bids)
    _put_str(out, 3, body.event_type)


BODY_FIELD_OF = {
    AggreDepths: PUBLIC_AGGRE_DEPTHS,
    LimitDepths: PUBLIC_LIMIT_DEPTHS,
    IncreaseDepths: PUBLIC_INCREASE_DEPTHS,
    IncreaseDepthsBatch: PUBLIC_INCREASE_DEPTHS_BATCH,
    AggreBookTicker: PUBLIC_AGGRE_BOOK_TICKER,
    PrivateOrder: PRIVATE_ORDERS,
    PrivateDeal: PRIVATE_DEALS,
}


def encode_wrapper(msg: Wrapper) -> bytes:
    """Serialize a wrapper in field-number order, as the official runtime does.

    ``body`` is a body struct (its field number is implied) or, with ``body_field`` set,
    the member's encoded bytes. ``None`` optional fields are omitted; set ones are written
    even when zero/empty (they have explicit presence).
    """
    out = bytearray()
    _put_str(out, CHANNEL, msg.channel)
    _put_str(out, SYMBOL, msg.symbol, presence=True)
    _put_str(out, SYMBOL_ID, msg.symbol_id, presence=True)
    _put_int(out, CREATE_TIME, msg.create_time, presence=True)
    _put_int(out, SEND_TIME, msg.send_time, presence=True)
    body = msg.body
    if isinstance(body, (bytes, bytearray)):
        if msg.body_field not in BODY_FIELDS:
            raise ValueError(f"raw body needs a body_field in 301..315, got {msg.body_field}")
        _put_len(out, msg.body_field, bytes(body))
    elif body is not None:
        _put_len(out, BODY_FIELD_OF[type(body)], _encode_body(body))
    return bytes(out)
