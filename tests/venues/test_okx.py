"""OKX, what only OKX has: official examples decoded field by field, the ``prevSeqId``/``seqId``
chain (resets, duplicates, gaps), checksum strings, the 2022 capture's updates without
sequence ids, a corrupted checksum. The venue contract (test_contract.py, row rows/okx.py)
covers the recording, instruments, bad input, fuzzing, signing and the wire encoder's
random walk."""

from __future__ import annotations

import json
import zlib

import pytest

from arb.book.book import OrderBook
from arb.book.health import BookState
from arb.core.errors import DecodeError
from arb.core.events import BookDelta, BookSnapshot, Control
from arb.core.numbers import FixedParser
from arb.venues.books import VenueBooks
from arb.venues.okx import Encoder
from arb.venues.okx import market_data as okx
from tests import samples
from tests.samples import texts
from tests.venues.rows.okx import DOCS


def decoder():
    return okx.SPEC.decoder(okx.SPEC.symbol_map(), FixedParser())


def replay(records, vb=None):
    return samples.replay(vb if vb is not None else okx.SPEC, records)


def book_frame(name: str, **data) -> str:
    """A doc book message with fields of its data entry replaced."""
    msg = json.loads(DOCS[name])
    msg["data"][0].update(data)
    return json.dumps(msg)


def signed_crc32(text: str) -> int:
    crc = zlib.crc32(text.encode())
    return crc - 2**32 if crc >= 2**31 else crc


# -- official examples ------------------------------------------------------------------
def test_doc_books_snapshot_and_update_decode():
    d = decoder()
    [snap] = d.decode(DOCS["books_snapshot_doc"], ts_recv_ns=7)
    assert isinstance(snap, BookSnapshot) and snap.source == "ws"
    assert (snap.symbol, snap.seq, snap.checksum) == ("BTC/USDT", 123456, -855196043)
    assert snap.bids[0][:2] == ("8476.97", "256") and snap.asks[-1][:2] == ("8506.96", "100")
    assert len(snap.bids) == len(snap.asks) == 8
    assert snap.ts_event_ns == 1597026383085 * 1_000_000 and snap.ts_recv_ns == 7
    [delta] = d.decode(DOCS["books_update_doc"], 8)
    assert isinstance(delta, BookDelta)
    assert (delta.first_seq, delta.prev_seq, delta.last_seq) == (None, 123456, 123457)
    assert delta.checksum == -855196043 and delta.asks[0][:2] == ("8476.98", "415")


def test_doc_checksum_does_not_match_its_own_levels():
    # The docs' illustrative checksum belongs to some other book: the mismatch is detected.
    vb = VenueBooks(okx.SPEC)
    assert vb.on_frame(1, DOCS["books_snapshot_doc"], 1).resync == ("BTC/USDT",)
    assert vb.stats.checksum_failed == 1 and vb.book("BTC/USDT").state is BookState.RESYNCING
    [snap] = decoder().decode(book_frame("books_snapshot_doc", checksum=0), 1)
    book = OrderBook("okx", "BTC/USDT", None, FixedParser())
    book.load(snap.bids, snap.asks)
    assert okx.checksum(book) == -2102840145


def test_doc_chain_applies_with_the_checksum_zeroed():
    vb = VenueBooks(okx.SPEC)
    [snap] = decoder().decode(book_frame("books_snapshot_doc", checksum=0), 1)
    assert snap.checksum is None  # 0: no longer computed by OKX, not checked
    assert vb.on_frame(1, book_frame("books_snapshot_doc", checksum=0), 1).resync == ()
    assert vb.on_frame(1, book_frame("books_update_doc", checksum=0), 2).resync == ()
    book = vb.book("BTC/USDT")
    assert book.is_live and book.seq == 123457 and vb.stats.applied == 1
    assert book.best_bid()[:2] == ("8476.97", "256") and book.best_ask()[:2] == ("8476.98", "415")


def test_doc_sequence_chain_resets_duplicates_and_gaps():
    # The docs' example chain: (-1→10), (10→15), (15→15 empty heartbeat), (15→3 reset), (3→5).
    vb = VenueBooks(okx.SPEC)
    snap = book_frame("books_snapshot_doc", checksum=0, prevSeqId=-1, seqId=10)
    assert vb.on_frame(1, snap, 1).resync == ()
    chain = [(10, 15, [["8476.97", "300", "0", "3"]]), (15, 15, []), (15, 3, [["8475.55", "0", "0", "0"]]), (3, 5, [])]
    for prev, seq, bids in chain:
        assert vb.on_frame(1, book_frame("books_update_doc", checksum=0, prevSeqId=prev, seqId=seq, bids=bids, asks=[]), 2).resync == ()
    book = vb.book("BTC/USDT")
    assert book.seq == 5 and vb.stats.applied == 4 and vb.stats.dropped == 0
    assert book.best_bid()[:2] == ("8476.97", "300") and len(book.bids()) == 7
    # A repeat of (3→5) and a stale message are older than the book: dropped.
    for prev, seq in [(3, 5), (2, 3)]:
        assert vb.on_frame(1, book_frame("books_update_doc", checksum=0, prevSeqId=prev, seqId=seq, bids=[["1", "1", "0", "1"]]), 3).resync == ()
    assert vb.stats.dropped == 2 and book.best_bid()[:2] == ("8476.97", "300")
    # A message chaining onto a seqId we never saw is a gap: resubscribe.
    assert vb.on_frame(1, book_frame("books_update_doc", checksum=0, prevSeqId=7, seqId=9), 4).resync == ("BTC/USDT",)
    assert vb.stats.gaps == 1 and book.state is BookState.RESYNCING and book.depth() == (0, 0)
    assert vb.on_frame(1, book_frame("books_update_doc", checksum=0, prevSeqId=9, seqId=11), 5).resync == ()  # buffered
    assert vb.on_frame(1, book_frame("books_snapshot_doc", checksum=0, seqId=20), 6).resync == ()
    assert book.is_live and book.seq == 20 and vb.stats.resyncs == 1


def test_doc_checksum_string_vectors():
    for name in ("checksum_string_example_1", "checksum_string_example_2"):
        vector = json.loads(DOCS[name])
        bids = [tuple(lv[:2]) for lv in vector["bids"]]
        asks = [tuple(lv[:2]) for lv in vector["asks"]]
        assert okx.check_string(bids, asks) == vector["expected_check_string"]
        book = OrderBook("okx", "ETH/USDT", None, FixedParser())
        book.load(bids, asks)
        assert okx.checksum(book) == signed_crc32(vector["expected_check_string"])


def test_checksum_covers_25_levels_and_is_signed():
    bids = [(f"{100 - i}.5", str(i + 1)) for i in range(30)]
    asks = [(f"{101 + i}.5", str(i + 1)) for i in range(27)]
    text = okx.check_string(bids, asks)
    assert text.count(":") == 4 * 25 - 1 and text.startswith("100.5:1:101.5:1:99.5:2") and text.endswith("76.5:25:125.5:25")
    assert okx.check_string(bids[:1], asks[:3]) == "100.5:1:101.5:1:102.5:2:103.5:3"
    book = OrderBook("okx", "X/Y", None, FixedParser())
    book.load(bids, asks)
    assert -(2**31) <= okx.checksum(book) < 2**31 and okx.checksum(book) == signed_crc32(text)


def test_doc_control_frames_and_unused_channels():
    d = decoder()
    [ack] = d.decode(DOCS["subscribe_ack"], 1)
    assert isinstance(ack, Control) and (ack.kind, ack.detail) == ("ack", "books BTC-USDT")
    [err] = d.decode(DOCS["subscribe_error"], 2)
    assert err.kind == "error" and err.detail.startswith("60012: Invalid request")
    assert d.decode("pong", 3) == [Control("pong", "", 3)] and d.decode(b"pong", 3)[0].kind == "pong"
    assert d.decode(DOCS["bbo_tbt_doc"], 4) == [] and d.decode(DOCS["books5_doc"], 4) == []
    candle = '{"arg":{"channel":"candle1m","instId":"BTC-USDT"},"data":[["1597026383085","8533.02","8553.74","8527.17","8548.26","45247","529.5858061","5.3","0"]]}'
    assert d.decode(candle, 5) == []
    [notice] = d.decode('{"event":"notice","code":"64008","msg":"The connection will soon be closed for a service upgrade.","connId":"a4d3ae55"}', 6)
    assert notice.kind == "reconnect" and "64008" in notice.detail


def test_doc_rest_books_response():
    url = "https://www.okx.com/api/v5/market/books?instId=BTC-USDT&sz=400"
    snap = okx.decode_rest_books(url, DOCS["rest_books_response"], 3, okx.SPEC.symbol_map(), FixedParser())
    assert (snap.symbol, snap.seq, snap.source) == ("BTC/USDT", None, "rest")
    assert snap.asks == [("41006.8", "0.60038921")] and snap.bids == [("41006.3", "0.30178218")]
    assert okx.rest_books_request(okx.REST_URL, "BTC-USDT", None).url == url
    with pytest.raises(DecodeError):
        okx.decode_rest_books(url, '{"code":"51001","msg":"Instrument ID does not exist","data":[]}', 3, okx.SPEC.symbol_map(), FixedParser())


def test_requests():
    [frame] = okx.subscribe_frames(["BTC-USDT", "UNI-USD-SWAP"], None, 0)
    assert json.loads(frame) == {"op": "subscribe", "args": [{"channel": "books", "instId": "BTC-USDT"}, {"channel": "books", "instId": "UNI-USD-SWAP"}]}
    assert json.loads(frame)["args"][0] == json.loads(DOCS["subscribe_request"])["args"][0]
    assert len(okx.subscribe_frames([f"A{i}-USDT" for i in range(250)], 400, 0)) == 3
    with pytest.raises(ValueError):
        okx.subscribe_frames(["BTC-USDT"], 5, 0)
    assert okx.SPEC.ping_frame(1, 0) == "ping" and okx.connect_url(okx.WS_URL, [], None) == okx.WS_URL


# -- the real capture -------------------------------------------------------------------
@pytest.fixture(scope="module")
def records():
    return samples.records("okx")


def test_capture_update_without_sequence_ids(records):
    first = next(r.data for r in records if r.kind == "ws" and '"action":"update"' in r.data)
    [delta] = decoder().decode(first, 1)
    assert (delta.prev_seq, delta.last_seq, delta.first_seq) == (None, None, None)
    assert delta.checksum is not None and all(lv[2] == f"{lv[0]}:{lv[1]}" for lv in delta.bids + delta.asks)


def test_corrupted_checksum_is_detected(records):
    target = next(r for r in records if r.kind == "ws" and '"action":"update"' in r.data and "BTC-USD-220527" in r.data)
    crc = json.loads(target.data)["data"][0]["checksum"]
    tampered = [
        type(r)(**{**{f: getattr(r, f) for f in r.__struct_fields__}, "data": r.data.replace(f'"checksum":{crc}', f'"checksum":{crc + 1}')})
        if r is target else r
        for r in records
    ]
    vb = replay(tampered)
    assert vb.stats.checksum_failed == 1
    assert vb.book("BTC/USD:BTC-220527").state is BookState.RESYNCING and vb.book("UNI/USD:UNI").is_live


# -- the wire encoder -------------------------------------------------------------------
def test_encoder_round_trips_through_the_decoder():
    symbols = okx.SPEC.symbol_map(["UNI/USD:UNI"])
    enc = Encoder(symbols)
    truth = OrderBook("okx", "UNI/USD:UNI", None, FixedParser())
    truth.load([("5.134", "96")], [("5.142", "25")])
    [frame] = enc.snapshot("UNI/USD:UNI", truth.bids(), truth.asks(), 10, 1_652_459_225_507_000_000, truth)
    [snap] = decoder().decode(frame, 0)
    assert (snap.symbol, snap.seq, texts(snap.bids), texts(snap.asks)) == ("UNI/USD:UNI", 10, [("5.134", "96")], [("5.142", "25")])
    assert snap.checksum == okx.checksum(truth) and snap.ts_event_ns == 1_652_459_225_507_000_000
    truth.apply([], [("5.142", "0")])
    [frame] = enc.delta("UNI/USD:UNI", [], [("5.142", "0")], 11, 15, 0, truth)
    assert json.loads(frame)["data"][0]["asks"] == [["5.142", "0", "0", "0"]]
    [delta] = decoder().decode(frame, 0)
    assert (delta.prev_seq, delta.last_seq, texts(delta.asks)) == (10, 15, [("5.142", "0")])
    url, body = enc.rest_snapshot(okx.REST_URL, "UNI/USD:UNI", truth.bids(), truth.asks(), 15, 0)
    rest = okx.decode_rest_books(url, body, 0, symbols, FixedParser())
    assert (rest.symbol, rest.bids, rest.asks) == ("UNI/USD:UNI", truth.bids(), truth.asks())
    assert decoder().decode(enc.subscribe_ack("UNI/USD:UNI", 0)[0], 0)[0].kind == "ack"
