"""Kraken spot trading requests (REST ``/0/private/*``), sans-I/O: signed builders and decoders.

- Every private call is a form-encoded ``POST`` whose body starts with ``nonce`` (arb sends
  the send time in ms; a nonce not above the key's last one is refused, ``EAPI:Invalid
  nonce``), headers ``API-Key`` and ``API-Sign`` = base64 HMAC-SHA512 over the path and
  SHA256(nonce + body) (:mod:`.signing`).
- Kraken answers ``{"error": [...], "result": {...}}`` with HTTP 200 whether or not it
  succeeded ("status codes other than 200 indicate that there was an issue with the request
  reaching our servers"): the decoders raise the classified error an answer carries.
- ``AddOrder``: ``ordertype=limit, type, volume, pair, price, timeinforce=IOC|GTC,
  oflags=fciq`` (fees in the quote asset, what arb accounts in) and ``cl_ord_id`` (a UUID)::

    {"error":[],"result":{"descr":{"order":"buy 1.25000000 XBTUSD @ limit 27500.0"},
     "txid":["OUF4EM-FRGI2-MQMWZD"]}}

- Finding an order by ``cl_ord_id`` takes two requests: ``OpenOrders`` and ``ClosedOrders``
  take it, ``QueryOrders`` needs the ``txid``. The port asks ``OpenOrders`` then
  ``ClosedOrders`` until it knows the ``txid``, then ``QueryOrders`` (``query``,
  ``query_done``, ``query_by_venue_id``). Each answers orders by txid with ``status``
  (pending, open, closed, canceled, expired), ``vol``, ``vol_exec``, ``cost`` (Σ price ×
  volume, quote) and ``fee`` (quote, with ``fciq``). ``cl_ord_id`` is unique among *open*
  orders only: a finished order's id may be used again.
- ``CancelOrder cl_ord_id`` → ``{"count":1}``; ``BalanceEx`` → ``{asset: {balance,
  hold_trade}}`` by Kraken asset id (:mod:`.assets`); ``TradeVolume pair=XBTUSD`` → the
  account's fee tier, in percent.
- Every error string is classified once (:data:`ERRORS`, longest ``category:message``
  prefix first).
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any
from urllib.parse import urlencode

import msgspec

from arb.core.numbers import ONE
from arb.venues.base import Credentials, RestBudget, RestRequest
from arb.venues.kraken.assets import asset_code, is_variant
from arb.venues.kraken.signing import sign
from arb.venues.trading import (
    Balance, OrderRequest, OrderState, OrderStatus, RejectReason, TradingSpec, VenueError, fixed_text,
)

NAME = "kraken"
#: The pair whose fee tier ``fee_rates`` asks for (Kraken's main crypto schedule).
FEE_PAIR = "XBTUSD"
_A, _B, _P, _L, _N = RejectReason.AUTH, RejectReason.BALANCE, RejectReason.PRICE, RejectReason.LOT, RejectReason.NOT_FOUND
_O, _R, _U, _S = RejectReason.OTHER, RejectReason.RATE_LIMIT, RejectReason.UNAVAILABLE, RejectReason.UNKNOWN_STATE

#: Every Kraken error string (support "API error messages", the API reference), classified once.
ERRORS: dict[str, RejectReason] = {
    "EAPI:Invalid key": _A, "EAPI:Invalid signature": _A, "EAPI:Invalid nonce": _A, "EGeneral:Permission denied": _A,
    "ESession:Invalid session": _A, "EOrder:Trading agreement required": _A, "ETrade:User Locked": _A,
    "EAPI:Rate limit exceeded": _R, "EOrder:Rate limit exceeded": _R, "EOrder:Domain rate limit exceeded": _R,
    "EGeneral:Temporary lockout": _R, "EGeneral:Too many requests": _R,
    # "can't be made at this time" / offline / the deadline passed before matching: nothing happened
    "EService:Unavailable": _U, "EService:Busy": _U, "EService:Deadline elapsed": _U,
    "EGeneral:Internal error": _S, "EDatabase:Internal error": _S,
    "EOrder:Insufficient funds": _B, "EOrder:Insufficient margin": _B,
    "EOrder:Order minimum not met": _L, "EGeneral:Invalid arguments:volume": _L,
    "EOrder:Cost minimum not met": RejectReason.MIN_NOTIONAL,
    "EOrder:Tick size check failed": _P, "EOrder:Invalid price": _P, "EGeneral:Invalid arguments:price": _P,
    "EOrder:Duplicate order": RejectReason.DUPLICATE,
    "EOrder:Unknown order": _N, "EOrder:Invalid order": _N,
    "EQuery:Unknown asset pair": _O, "EQuery:Invalid asset pair": _O, "EQuery:Unknown asset": _O,
    "EGeneral:Invalid arguments": _O, "EGeneral:Unknown method": _O, "EAPI:Bad request": _O, "EAPI:Feature disabled": _O,
    "EService:Market in cancel_only mode": _O, "EService:Market in post_only mode": _O,
    "EService:Market in limit_only mode": _O, "EOrder:Orders limit exceeded": _O, "EOrder:Positions limit exceeded": _O,
    "EOrder:Scheduled orders limit exceeded": _O, "EOrder:Unknown position": _O, "EOrder:Cannot open position": _O,
    "EOrder:Cannot open opposing position": _O, "EOrder:Margin allowance exceeded": _O, "EOrder:Margin level too low": _O,
    "EOrder:Margin position size exceeded": _O, "EOrder:Cancel pending": _O, "EOrder:Invalid reference id": _O,
    "EOrder:Post only order": _O, "EOrder:Reduce only:Non-PC": _O,
}
#: An unknown error of a category: the service's own trouble is retryable, the rest final.
_CATEGORY = {"EService": _U}
_STATUS = {"pending": OrderStatus.NEW, "open": OrderStatus.NEW, "canceled": OrderStatus.CANCELLED, "expired": OrderStatus.CANCELLED}


def client_id(order_id: str) -> str:
    """``cl_ord_id``: a UUID (Kraken takes a UUID or free text up to 18 characters): version
    4 from a hash of arb's order id, so the same order always gets the same one."""
    return str(uuid.UUID(bytes=hashlib.sha256(order_id.encode()).digest()[:16], version=4))


def _signed(rest_url: str, path: str, credentials: Credentials, params: dict[str, str], now_ms: int, weight: int = 1) -> RestRequest:
    nonce = str(now_ms)
    body = urlencode({"nonce": nonce, **params})
    headers = {"API-Key": credentials.key, "API-Sign": sign(credentials.secret, path, nonce, body),
               "Content-Type": "application/x-www-form-urlencoded"}
    return RestRequest("POST", rest_url + path, headers=headers, body=body, weight=weight)


def place(rest_url: str, credentials: Credentials, order: OrderRequest, now_ms: int) -> RestRequest:
    if order.tif not in ("ioc", "gtc"):
        raise ValueError(f"time in force must be ioc or gtc, got {order.tif!r}")
    params = {
        "ordertype": "limit", "type": order.side, "volume": order.qty_text, "pair": order.venue_symbol,
        "price": order.price_text, "timeinforce": order.tif.upper(), "oflags": "fciq", "cl_ord_id": order.client_id,
    }
    # Placing and cancelling count against the matching engine's limits, not the REST counter.
    return _signed(rest_url, "/0/private/AddOrder", credentials, params, now_ms, weight=0)


def cancel(rest_url: str, credentials: Credentials, client_order_id: str, venue_symbol: str, now_ms: int) -> RestRequest:
    return _signed(rest_url, "/0/private/CancelOrder", credentials, {"cl_ord_id": client_order_id}, now_ms, weight=0)


def query(rest_url: str, credentials: Credentials, client_order_id: str, venue_symbol: str, now_ms: int) -> RestRequest:
    """The order by client id among the open ones (``query_done`` looks among the others)."""
    return _signed(rest_url, "/0/private/OpenOrders", credentials, {"cl_ord_id": client_order_id}, now_ms)


def query_done(rest_url: str, credentials: Credentials, client_order_id: str, venue_symbol: str, now_ms: int) -> RestRequest:
    return _signed(rest_url, "/0/private/ClosedOrders", credentials, {"cl_ord_id": client_order_id}, now_ms)


def query_by_venue_id(rest_url: str, credentials: Credentials, venue_order_id: str, venue_symbol: str, now_ms: int) -> RestRequest:
    return _signed(rest_url, "/0/private/QueryOrders", credentials, {"txid": venue_order_id}, now_ms)


def balances(rest_url: str, credentials: Credentials, now_ms: int) -> RestRequest:
    return _signed(rest_url, "/0/private/BalanceEx", credentials, {}, now_ms)


def fee_rates(rest_url: str, credentials: Credentials, now_ms: int) -> RestRequest:
    return _signed(rest_url, "/0/private/TradeVolume", credentials, {"pair": FEE_PAIR}, now_ms)


# -- decoding -----------------------------------------------------------------------------------
class _Answer(msgspec.Struct):
    error: list[str] = []
    result: Any = None


class _Descr(msgspec.Struct):
    pair: str = ""
    type: str = ""


class _Order(msgspec.Struct):
    status: str
    vol: Any
    vol_exec: Any = "0"
    cost: Any = "0"
    fee: Any = "0"
    opentm: Any = "0"
    oflags: str = ""
    cl_ord_id: str | None = None
    reason: str | None = None
    descr: _Descr | None = None


class _Held(msgspec.Struct):
    balance: Any
    hold_trade: Any = "0"
    credit: Any = "0"
    credit_used: Any = "0"


class _Tier(msgspec.Struct):
    fee: Any


#: Kraken writes numbers as text, but some answers (the docs' BalanceEx example) as JSON
#: numbers: read both as their text, never through float.
_answer = msgspec.json.Decoder(_Answer, float_hook=str)


def _num(value: object) -> int:
    """A Kraken number (text, or a JSON number read as its text) → fixed int, exactly."""
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, int):
        return value * ONE
    if isinstance(value, str):
        return fixed_text(value)
    raise ValueError(f"not a number: {value!r}")


def _bad(body: str, exc: Exception) -> VenueError:
    return VenueError(NAME, RejectReason.UNKNOWN_STATE, "decode", f"unreadable answer ({exc}): {body[:200]}")


def _result(status: int, body: str) -> Any:
    """The ``result`` of a successful answer; the classified error of a failed one."""
    answer = _answer.decode(body)
    if any(e.startswith("E") for e in answer.error):
        raise classify(status, body, {})
    if answer.result is None:
        raise ValueError("no result")
    return answer.result


def decode_place(status: int, body: str) -> OrderState:
    """An accepted order: its ``txid`` (the fills come with the order query)."""
    try:
        result = msgspec.convert(_result(status, body), dict[str, Any])
        txids = msgspec.convert(result.get("txid"), list[str] | None)
        if not txids or len(txids) != 1:
            raise ValueError(f"expected one txid, got {txids!r} (a validate-only answer?)")
        return OrderState(client_id=str(result.get("cl_ord_id") or ""), venue_order_id=txids[0], status=OrderStatus.NEW)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        raise _bad(body, exc) from None


def decode_order(status: int, body: str) -> OrderState:
    """``QueryOrders``, ``OpenOrders`` or ``ClosedOrders``: the latest order the answer holds
    (asked by client id, it holds that order; none → NOT_FOUND)."""
    try:
        result = msgspec.convert(_result(status, body), dict[str, Any])
        orders = msgspec.convert(result.get("open", result.get("closed", result)), dict[str, Any])
        orders = {k: v for k, v in orders.items() if isinstance(v, dict)}  # ClosedOrders' "count"
        if not orders:
            raise VenueError(NAME, RejectReason.NOT_FOUND, "EOrder:Unknown order", "no order with this id")
        txid, raw = max(orders.items(), key=lambda kv: _num(kv[1].get("opentm", "0")))
        o = msgspec.convert(raw, _Order)
        vol, filled = _num(o.vol), _num(o.vol_exec)
        if o.status == "closed":
            state = OrderStatus.FILLED if filled >= vol else OrderStatus.CANCELLED
        elif o.status in _STATUS:
            state = _STATUS[o.status]
            if state is OrderStatus.NEW and filled:
                state = OrderStatus.PARTIALLY_FILLED
        else:
            raise ValueError(f"unknown status {o.status!r}")
        if "fcib" in o.oflags.split(",") and _num(o.fee):
            raise ValueError("fee taken in the base asset (arb places orders with fciq)")
        reason = o.reason or ("expired: no more liquidity within the limit" if state is OrderStatus.CANCELLED else "")
        return OrderState(
            client_id=o.cl_ord_id or "", venue_order_id=txid, status=state, filled_qty=filled, quote=_num(o.cost),
            fee=_num(o.fee), fee_asset="", reason=reason,
        )
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        raise _bad(body, exc) from None


def decode_cancel(status: int, body: str) -> None:
    """``{"count": n}``: the cancel was taken (0: the venue had nothing open to cancel)."""
    try:
        result = msgspec.convert(_result(status, body), dict[str, Any])
        if not result.get("count"):
            raise VenueError(NAME, RejectReason.NOT_FOUND, "EOrder:Unknown order", "nothing was cancelled")
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        raise _bad(body, exc) from None


def decode_balances(status: int, body: str) -> dict[str, Balance]:
    """``BalanceEx``: free = balance + credit − credit used − held for trades. Suffixed
    variants (``USDT.F``, ``ETH2.S`` …) are left out: arb trades the plain asset only."""
    try:
        out: dict[str, Balance] = {}
        for asset_id, raw in msgspec.convert(_result(status, body), dict[str, _Held]).items():
            if is_variant(asset_id):
                continue
            code = asset_code(asset_id)
            held = _num(raw.hold_trade)
            out[code] = Balance(code, _num(raw.balance) + _num(raw.credit) - _num(raw.credit_used) - held, held)
        return out
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        raise _bad(body, exc) from None


def decode_fee_rates(status: int, body: str) -> dict[str, tuple[int, int]]:
    """``TradeVolume``: (maker, taker) by pair id, percent → rate; ``"*"``: the tier of
    :data:`FEE_PAIR`, the default for every symbol."""
    try:
        result = msgspec.convert(_result(status, body), dict[str, Any])
        takers = msgspec.convert(result.get("fees") or {}, dict[str, _Tier])
        makers = msgspec.convert(result.get("fees_maker") or {}, dict[str, _Tier])
        out = {pair: (_rate(makers[pair].fee if pair in makers else tier.fee), _rate(tier.fee)) for pair, tier in takers.items()}
        if out:
            out["*"] = next(iter(out.values()))
        return out
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        raise _bad(body, exc) from None


def _rate(percent: object) -> int:
    value = _num(percent)
    if value % 100:
        raise ValueError(f"fee {percent!r} % is finer than 10**-18")
    return value // 100


def classify(status: int, body: str, headers: dict[str, str]) -> VenueError:
    """Every Kraken error answer, classified: its first error string, else the HTTP status
    (a Cloudflare failure between us and Kraken)."""
    retry_after = _retry_after(headers)
    try:
        errors = [e for e in _answer.decode(body).error if e.startswith("E")]
    except (msgspec.DecodeError, msgspec.ValidationError):
        errors = []
    if errors:
        reason = reason_of(errors[0])
        return VenueError(NAME, reason, errors[0], "; ".join(errors), retry_after if reason.retryable else None)
    if status == 429:
        reason = RejectReason.RATE_LIMIT
    elif status in (401, 403):
        reason = RejectReason.AUTH
    elif status in (504, 520, 524):
        reason = RejectReason.UNKNOWN_STATE  # the request reached Kraken; its answer did not come back
    elif status >= 500:
        reason = RejectReason.UNAVAILABLE
    else:
        reason = RejectReason.OTHER
    return VenueError(NAME, reason, str(status), body[:200], retry_after if reason.retryable else None)


def reason_of(error: str) -> RejectReason:
    """One Kraken error string's class: the longest known ``category:message[:detail]`` prefix."""
    parts = error.split(":")
    for n in range(len(parts), 1, -1):
        reason = ERRORS.get(":".join(parts[:n]))
        if reason is not None:
            return reason
    return _CATEGORY.get(parts[0], RejectReason.OTHER)


def _retry_after(headers: dict[str, str]) -> float | None:
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                return None
    return None


TRADING = TradingSpec(
    venue=NAME, place=place, decode_place=decode_place, cancel=cancel, query=query, decode_order=decode_order,
    balances=balances, decode_balances=decode_balances, classify=classify, client_id=client_id,
    fee_rates=fee_rates, decode_fee_rates=decode_fee_rates, query_by_venue_id=query_by_venue_id,
    query_done=query_done, decode_cancel=decode_cancel,
    budget=RestBudget(20, 40.0),
)
