"""Backtest summaries say what they measure: fill ratio, one-legged fills, clocks."""

from __future__ import annotations

from arb.core.numbers import ONE
from arb.exec.orders import TradeResult
from arb.exec.report import summarize
from workflows import report


def trade(symbol: str, qty: int, buy: int, sell: int, action: str = "none", residual: int = 0) -> TradeResult:
    return TradeResult(
        id=f"{symbol}-{qty}-{buy}-{sell}", symbol=symbol, buy_venue="binance", sell_venue="okx", intended_qty=qty,
        buy_filled=buy, sell_filled=sell, buy_avg_price=ONE, sell_avg_price=ONE, buy_quote=buy, sell_quote=sell,
        buy_fee=0, sell_fee=0, one_legged=buy != sell, action=action, action_venue="", action_side="",
        action_filled=0, action_quote=0, action_fee=0, residual_base=residual, fees_quote=0, realized_pnl_quote=0,
        realized_pnl_reporting=0, expected_net_profit=0, ts_decision_ns=0, ts_submit_ns=0, ts_done_ns=0,
    )


def test_a_one_legged_fill_never_hides_behind_a_fill_ratio_of_one():
    # 400 DOGE trades of 5,000 DOGE each, fully filled, and one BTC trade whose sell leg never
    # filled: summed as quantities, 0.015 BTC vanishes beside 2,000,000 DOGE (ratio 0.99999999).
    doge = [trade("DOGE/USDT", 5_000 * ONE, 5_000 * ONE, 5_000 * ONE) for _ in range(400)]
    btc = trade("BTC/USDT", 15 * ONE // 1000, 15 * ONE // 1000, 0, action="hold", residual=15 * ONE // 1000)
    summary = summarize([*doge, btc])

    assert summary.one_legged == 1 and summary.fully_filled == 400
    assert summary.fill_ratio == 400 / 401  # each trade weighs the same, whatever its asset
    assert summary.intended_qty == {"DOGE": 2_000_000 * ONE, "BTC": 15 * ONE // 1000}  # never BTC + DOGE
    assert summary.matched_qty == {"DOGE": 2_000_000 * ONE, "BTC": 0}

    rows = report.backtest_rows(_metrics(), summary)
    assert rows["fill ratio (mean per trade of matched / intended qty)"] == "0.9975"
    assert rows["one-legged fills"] == "1 of 401 (hold 1)"
    assert rows["both legs fully filled"] == "400 of 401"
    assert rows["position left open (base)"] == "BTC +0.015"


def test_the_fill_ratio_rounds_down_and_reads_one_only_when_every_trade_matched():
    many = [trade("ETH/USDT", ONE, ONE, ONE) for _ in range(99_999)]
    almost = summarize([*many, trade("ETH/USDT", ONE, ONE, ONE - 1, action="unwind")])
    assert almost.fill_ratio > 0.99999 and report.fill_ratio_text(almost) == "0.9999"
    assert report.one_legged_text(almost) == "1 of 100000 (unwind 1)"
    assert report.fill_ratio_text(summarize(many)) == "1.0000"
    assert report.fill_ratio_text(summarize([])) == "0.0000" and report.position_text(summarize([])) == "none"


def test_times_are_labelled_by_their_clock():
    rows = report.backtest_rows(_metrics(), summarize([]))
    assert rows["market time, first to last record (s)"] == 60.0
    assert rows["wall time (s)"] == 2.0
    assert rows["throughput (events per wall-clock second)"] == 500.0
    assert not [key for key in rows if key in ("events per second", "replay time (s)")]


def _metrics() -> dict[str, float]:
    return {"net_pnl_usd": 1.0, "realized_pnl_usd": 1.0, "fees_usd": 0.1, "opportunities_seen": 3,
            "opportunities_taken": 2, "max_drawdown_usd": 0.0, "events": 1000, "replay_s": 60.0, "wall_s": 2.0,
            "events_per_s": 500.0}
