"""Journal records survive a round trip through their serialized form."""

from __future__ import annotations

from arb.exec import Fill, Intent, MemoryJournal, Order, TradeResult, decode, encode
from arb.scan import Scanner
from tests.configs import scan_config
from tests.scan.books import SYMBOL, view


def test_every_record_kind_round_trips():
    books = {
        "a": view("a", [("99", "1")], [("100", "1")]),
        "b": view("b", [("101", "1")], [("102", "1")]),
    }
    (opp,) = Scanner(scan_config({"a": "0.001", "b": "0.001"})).scan(SYMBOL, books, 1).opportunities
    records = [
        Intent(id=opp.id, ts_ns=1, opportunity=opp),
        Order(id=f"{opp.id}/buy", trade_id=opp.id, role="buy", venue="a", symbol=SYMBOL, side="buy", qty=1,
              limit_price=2, lock=3, ts_submit_ns=1, due_ns=2),
        Fill(id=f"{opp.id}/buy", trade_id=opp.id, role="buy", venue="a", symbol=SYMBOL, side="buy", qty_ordered=1,
             qty=1, quote=2, fee=0, avg_price=2, worst_price=2, levels=1, ts_ns=2, status="filled"),
        TradeResult(id=opp.id, symbol=SYMBOL, buy_venue="a", sell_venue="b", intended_qty=1, buy_filled=1,
                    sell_filled=1, buy_avg_price=1, sell_avg_price=1, buy_quote=1, sell_quote=1, buy_fee=0,
                    sell_fee=0, one_legged=False, action="none", action_venue="", action_side="", action_filled=0,
                    action_quote=0, action_fee=0, residual_base=0, fees_quote=0, realized_pnl_quote=0,
                    realized_pnl_reporting=None, expected_net_profit=0, ts_decision_ns=1, ts_submit_ns=1,
                    ts_done_ns=2),
    ]
    journal = MemoryJournal()
    for record in records:
        journal.append(record)

    assert [decode(encode(r)) for r in journal] == records
    assert b'"type":"fill"' in encode(records[2])
    assert journal.of_kind(Order) == [records[1]]
