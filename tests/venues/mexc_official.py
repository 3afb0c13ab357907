"""MEXC's official protobuf runtime, compiled at test time, and conversions to our structs.

The official ``.proto`` files (samples/venues/mexc/proto) are compiled with
``grpcio-tools`` (a test-only dependency) into a temporary folder and imported from there,
so no generated code lives in the tree.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

from arb.venues.mexc import proto as pb
from tests import samples

PROTO_DIR = samples.VENUES / "mexc" / "proto"

#: Our body number → the official oneof member name (PushDataV3ApiWrapper.proto).
MEMBERS = {
    301: "publicDeals", 302: "publicIncreaseDepths", 303: "publicLimitDepths", 304: "privateOrders",
    305: "publicBookTicker", 306: "privateDeals", 307: "privateAccount", 308: "publicSpotKline",
    309: "publicMiniTicker", 310: "publicMiniTickers", 311: "publicBookTickerBatch",
    312: "publicIncreaseDepthsBatch", 313: "publicAggreDepths", 314: "publicAggreDeals",
    315: "publicAggreBookTicker",
}


def compile_official(out_dir: Path) -> ModuleType:
    """Compile every official schema into ``out_dir``; return the wrapper's ``_pb2`` module."""
    from grpc_tools import protoc

    files = sorted(str(p) for p in PROTO_DIR.glob("*.proto"))
    rc = protoc.main(["protoc", f"-I{PROTO_DIR}", f"--python_out={out_dir}", *files])
    if rc != 0:
        raise RuntimeError(f"protoc failed with status {rc}")
    sys.path.insert(0, str(out_dir))
    try:
        return importlib.import_module("PushDataV3ApiWrapper_pb2")
    finally:
        sys.path.remove(str(out_dir))


def _levels(items) -> list[tuple[str, str]]:
    return [(item.price, item.quantity) for item in items]


def _set_levels(repeated, levels) -> None:
    for price, quantity in levels:
        repeated.add(price=price, quantity=quantity)


def from_official(msg) -> pb.Wrapper:
    """An official ``PushDataV3ApiWrapper`` → the :class:`mexc_proto.Wrapper` we expect to read."""
    member = msg.WhichOneof("body")
    field = msg.DESCRIPTOR.fields_by_name[member].number if member else 0
    body = None
    if member == "publicAggreDepths":
        b = msg.publicAggreDepths
        body = pb.AggreDepths(_levels(b.asks), _levels(b.bids), b.eventType, b.fromVersion, b.toVersion, b.lastOrderCreateTime)
    elif member == "publicLimitDepths":
        b = msg.publicLimitDepths
        body = pb.LimitDepths(_levels(b.asks), _levels(b.bids), b.eventType, b.version, b.lastOrderCreateTime)
    elif member == "publicIncreaseDepths":
        b = msg.publicIncreaseDepths
        body = pb.IncreaseDepths(_levels(b.asks), _levels(b.bids), b.eventType, b.version)
    elif member == "publicIncreaseDepthsBatch":
        b = msg.publicIncreaseDepthsBatch
        items = [pb.IncreaseDepths(_levels(i.asks), _levels(i.bids), i.eventType, i.version) for i in b.items]
        body = pb.IncreaseDepthsBatch(items, b.eventType)
    elif member == "publicAggreBookTicker":
        b = msg.publicAggreBookTicker
        body = pb.AggreBookTicker(b.bidPrice, b.bidQuantity, b.askPrice, b.askQuantity, b.version, b.lastOrderCreateTime)
    return pb.Wrapper(
        channel=msg.channel,
        body_field=field,
        body=body,
        symbol=msg.symbol if msg.HasField("symbol") else None,
        symbol_id=msg.symbolId if msg.HasField("symbolId") else None,
        create_time=msg.createTime if msg.HasField("createTime") else None,
        send_time=msg.sendTime if msg.HasField("sendTime") else None,
    )


def to_official(module: ModuleType, w: pb.Wrapper, extra_levels=()):
    """Our :class:`mexc_proto.Wrapper` → an official message. For bodies we do not read
    (``body`` None with ``body_field`` set) the member is set, with ``extra_levels`` as
    deals where it has them."""
    msg = module.PushDataV3ApiWrapper(channel=w.channel)
    for name, value in (("symbol", w.symbol), ("symbolId", w.symbol_id), ("createTime", w.create_time), ("sendTime", w.send_time)):
        if value is not None:
            setattr(msg, name, value)
    body = w.body
    if isinstance(body, pb.AggreDepths):
        b = msg.publicAggreDepths
        b.SetInParent()
        _set_levels(b.asks, body.asks)
        _set_levels(b.bids, body.bids)
        b.eventType, b.fromVersion, b.toVersion, b.lastOrderCreateTime = (
            body.event_type, body.from_version, body.to_version, body.last_order_create_time,
        )
    elif isinstance(body, pb.LimitDepths):
        b = msg.publicLimitDepths
        b.SetInParent()
        _set_levels(b.asks, body.asks)
        _set_levels(b.bids, body.bids)
        b.eventType, b.version, b.lastOrderCreateTime = body.event_type, body.version, body.last_order_create_time
    elif isinstance(body, pb.IncreaseDepths):
        b = msg.publicIncreaseDepths
        b.SetInParent()
        _set_levels(b.asks, body.asks)
        _set_levels(b.bids, body.bids)
        b.eventType, b.version = body.event_type, body.version
    elif isinstance(body, pb.IncreaseDepthsBatch):
        b = msg.publicIncreaseDepthsBatch
        b.SetInParent()
        for item in body.items:
            i = b.items.add(eventType=item.event_type, version=item.version)
            _set_levels(i.asks, item.asks)
            _set_levels(i.bids, item.bids)
        b.eventType = body.event_type
    elif isinstance(body, pb.AggreBookTicker):
        b = msg.publicAggreBookTicker
        b.SetInParent()
        b.bidPrice, b.bidQuantity, b.askPrice, b.askQuantity, b.version, b.lastOrderCreateTime = (
            body.bid_price, body.bid_quantity, body.ask_price, body.ask_quantity, body.version,
            body.last_order_create_time,
        )
    elif w.body_field:
        member = getattr(msg, MEMBERS[w.body_field])
        member.SetInParent()
        if w.body_field in (301, 314):
            for price, quantity in extra_levels:
                member.deals.add(price=price, quantity=quantity, tradeType=1, time=1736411507002)
        elif w.body_field == 305 and extra_levels:
            member.bidPrice, member.bidQuantity = extra_levels[0]
    return msg
