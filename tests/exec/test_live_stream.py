"""The live port's private-stream entry points, sans-I/O (OKX's real requests and answers, no
network): a state pushed by the stream gives exactly the events the polled answer gives; an
update of an order arb does not follow is counted and ignored; an older state never takes a
fill back; while the stream is up open orders are polled slowly, and every (re)connect queries
each open order once; a drop brings polling back to its pace."""

from __future__ import annotations

import json

from arb.core.instruments import Instrument, Instruments
from arb.core.numbers import ONE
from arb.exec.live import LiveVenues, VenueAccount
from arb.exec.orders import Order
from arb.exec.port import Accepted, Filled, PartiallyFilled, PlaceOrder
from arb.venues.base import Credentials
from arb.venues.okx import TRADING
from arb.venues.okx import trading as okx

MS = 1_000_000
URL = "https://okx.test"
INSTRUMENT = Instrument(venue="okx", symbol="BTC/USDT", venue_symbol="BTC-USDT", tick_size=ONE // 10, lot_size=ONE // 10**8)


def _port(streaming: bool) -> LiveVenues:
    account = VenueAccount(TRADING, Credentials("k", "s", "p"), URL, "wss://okx.test/ws/v5/public" if streaming else "")
    port = LiveVenues({"okx": account}, Instruments([INSTRUMENT]), poll_ns=50 * MS, max_poll_ns=1_000 * MS)
    if streaming:
        port.on_stream_up("okx", 0)
    return port


def _order(name: str = "t1") -> Order:
    return Order(id=f"{name}/buy", trade_id=name, role="buy", venue="okx", symbol="BTC/USDT", side="buy", qty=ONE // 100,
                 limit_price=30_000 * ONE, lock=0, ts_submit_ns=0, due_ns=0, tif="gtc")


def _order_json(client_id: str, state: str, filled: str, fill_px: str = "29999.9", fee: str = "-0.00001") -> dict[str, str]:
    return {"ordId": "77", "clOrdId": client_id, "state": state, "accFillSz": filled, "fillPx": fill_px if filled != "0" else "",
            "fillSz": filled, "avgPx": fill_px if filled != "0" else "", "fee": fee if filled != "0" else "0", "feeCcy": "BTC"}


def _placed(port: LiveVenues, order: Order, now: int = 0) -> str:
    """Place ``order`` and answer the place request; returns its client id."""
    port.submit([PlaceOrder(order)], now)
    (out,) = port.take_requests(now)
    client_id = json.loads(out.request.body)["clOrdId"]
    ack = {"code": "0", "msg": "", "data": [{"clOrdId": client_id, "ordId": "77", "sCode": "0", "sMsg": ""}]}
    port.on_response(out, 200, json.dumps(ack), {}, now)
    return client_id


def _kinds(port: LiveVenues, now: int) -> list[str]:
    return [out.kind for out in port.take_requests(now)]


def test_a_pushed_state_gives_the_same_events_as_the_polled_answer():
    polled, pushed = _port(False), _port(True)
    order = _order()
    for port in (polled, pushed):
        client_id = _placed(port, order)
    partial, filled = _order_json(client_id, "partially_filled", "0.004"), _order_json(client_id, "filled", "0.004")
    filled["accFillSz"], filled["fillSz"] = "0.01", "0.01"  # one fill of the whole order
    for state in (partial, filled):
        (query,) = polled.take_requests(10**12)
        assert query.kind == "query"
        polled.on_response(query, 200, json.dumps({"code": "0", "msg": "", "data": [state]}), {}, 5 * MS)
        pushed.on_stream("okx", okx.decode_stream(json.dumps({"arg": {"channel": "orders"}, "data": [state]})).states, 5 * MS)
    events = polled.events(5 * MS)
    assert [type(e) for e in events] == [Accepted, PartiallyFilled, Filled]
    assert pushed.events(5 * MS) == events
    assert pushed.stream_counts["applied"] == 2
    assert _kinds(pushed, 10**12) == []  # done: the backup query queued meanwhile is dropped, not sent


def test_updates_of_orders_arb_does_not_follow_are_counted_and_ignored():
    port = _port(True)
    states = okx.decode_stream(json.dumps({"arg": {"channel": "orders"}, "data": [_order_json("someone-else", "filled", "1")]})).states
    port.on_stream("okx", states, 0)
    assert port.events(0) == [] and port.stream_counts["untracked"] == 1


def test_an_older_state_never_takes_a_fill_back():
    port = _port(True)
    client_id = _placed(port, _order())
    push = okx.decode_stream(json.dumps({"arg": {"channel": "orders"}, "data": [_order_json(client_id, "partially_filled", "0.004")]}))
    port.on_stream("okx", push.states, 1)
    (query,) = port.take_requests(10**12)  # the backup query answered late, with what it saw before the fill
    port.on_response(query, 200, json.dumps({"code": "0", "msg": "", "data": [_order_json(client_id, "live", "0")]}), {}, 2)
    fills = [e for e in port.events(2) if isinstance(e, PartiallyFilled)]
    assert [f.qty for f in fills] == [ONE * 4 // 1000]
    assert port.errors.get("went-back") == 1


def test_polling_is_slow_while_the_stream_is_up_and_every_reconnect_queries_open_orders():
    port = _port(True)
    _placed(port, _order("t1"))
    _placed(port, _order("t2"))
    assert _kinds(port, 999 * MS) == []  # the backup query waits max_poll_ns
    assert _kinds(port, 1_000 * MS) == ["query", "query"]
    port.on_stream_down("okx", 2_000 * MS)  # not answered yet: nothing more queued
    assert "okx" not in port.streaming
    port.on_stream_up("okx", 3_000 * MS)  # in flight already: asked once, not twice
    assert _kinds(port, 3_000 * MS) == []
    for out in list(port.in_flight.values()):
        client_id = dict(p.split("=") for p in out.request.url.split("?")[1].split("&"))["clOrdId"]
        port.on_response(out, 200, json.dumps({"code": "0", "msg": "", "data": [_order_json(client_id, "live", "0")]}), {}, 3_001 * MS)
    assert _kinds(port, 3_002 * MS) == []  # up: the next backup query is a max_poll_ns away
    port.on_stream_down("okx", 3_100 * MS)  # down: polling at its pace again
    assert _kinds(port, 3_100 * MS + 50 * MS) == ["query", "query"]
    for out in list(port.in_flight.values()):
        port.on_failure(out, "lost", False, 3_200 * MS)
    port.on_stream_up("okx", 4_000 * MS)  # reconnected: every open order asked at once
    assert _kinds(port, 4_000 * MS) == ["query", "query"]
    assert port.stream_counts["ups"] == 3 and port.stream_counts["downs"] == 2
