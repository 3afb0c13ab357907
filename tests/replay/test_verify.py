"""``arb verify``: the JSON contract, exit codes, bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import msgspec
import pytest

from arb.record import RecordingReader, RecordingWriter
from tests import samples
from workflows import verify as verify_cli


def run(capsys, *paths):
    code = verify_cli.main([str(p) for p in paths])
    out = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(out[-1]), out[:-1]


def copy_with(tmp_path, source, name, transform):
    """Rewrite a recording record by record (``transform`` returns the record or None)."""
    path = tmp_path / name
    with RecordingReader(source) as reader, RecordingWriter(path, reader.header.venue, reader.header.symbols, "test") as w:
        for rec in reader:
            rec = transform(rec)
            if rec is not None:
                w.write(rec.ts, rec.venue, rec.kind, rec.payload if rec.kind != "connect" else None, conn=rec.conn, url=rec.url)
    return path


def test_binance_recording_summary(capsys):
    code, summary, table = run(capsys, samples.recording("binance"))
    assert code == 0
    assert summary["messages"] == 30
    assert summary["checksums"] == {"ok": 0, "failed": 0}
    assert (summary["gaps"], summary["resyncs"], summary["errors"]) == (0, 0, 0)
    assert summary["oracles"] == {"ok": 6, "failed": 0}
    # The venue's own text (plain decimals), as sent.
    assert summary["books"]["binance:LRC/BTC"] == {"bid": ["0.00000637", "2500.00000000"], "ask": ["0.00000638", "2285.00000000"], "bids": 176, "asks": 1000}
    assert set(summary["books"]) == {"binance:LRC/BTC", "binance:RUNE/EUR"}
    assert any("binance:LRC/BTC" in line for line in table)


def test_unresynced_gap_exits_non_zero(tmp_path, capsys):
    path = copy_with(tmp_path, samples.recording("binance"), "gap.jsonl", lambda r: None if '"U":259345550' in (r.data or "") else r)
    code, summary, table = run(capsys, path)
    assert code == 1
    assert summary["gaps"] == 1
    assert "binance:LRC/BTC" in summary["books"] and summary["books"]["binance:LRC/BTC"]["bids"] == 0
    assert any(line.startswith("UNRESYNCED binance:LRC/BTC") for line in table)


def test_bad_frames_are_counted_and_verify_goes_on(tmp_path, capsys):
    def corrupt(rec):
        if rec.kind == "ws" and "aggTrade" in rec.data:
            rec.data = rec.data[:25]
        return rec

    path = copy_with(tmp_path, samples.recording("binance"), "bad.jsonl", corrupt)
    with path.open("a") as f:
        f.write('{"ts":1,"venue":"nowhere","kind":"ws","conn":1,"data":"{}"}\n{"ts": broken\n')
    code, summary, _ = run(capsys, path)
    assert code == 0
    assert summary["errors"] == 3  # truncated frame, unknown venue, malformed line
    assert summary["books"]["binance:LRC/BTC"]["bid"] == ["0.00000637", "2500.00000000"]


def test_unreadable_file_exits_2(tmp_path, capsys):
    bad = tmp_path / "x.jsonl"
    bad.write_text("not a recording\n")
    assert verify_cli.main([str(bad)]) == 2
    assert "not an arb recording header" in capsys.readouterr().err


def test_console_script_prints_json_last(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "workflows.cli", "verify", str(samples.recording("binance"))],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1])["messages"] == 30


def test_non_plain_venue_text_is_written_as_a_plain_decimal():
    from arb.replay.verify import _plain_pair

    assert _plain_pair(("1e-5", "2.50"), [(10**13, 25 * 10**17)]) == ["0.00001", "2.50"]
    assert _plain_pair(None, []) is None


_QUOTED_NUMBER = re.compile(r'"(\d+(?:\.\d+)?)"')


def with_json_numbers(rec, only=""):
    """Levels (and every other numeric string) sent as JSON numbers, for frames mentioning ``only``."""
    text = rec.data or ""
    if rec.kind in ("ws", "rest") and only in text + (rec.url or ""):
        rec.data = _QUOTED_NUMBER.sub(r"\1", text)
    return rec


def test_levels_sent_as_json_numbers_never_make_a_book_vanish(tmp_path, capsys):
    path = copy_with(tmp_path, samples.recording("binance"), "numbers.jsonl", lambda r: with_json_numbers(r, "RUNEEUR"))
    code, summary, table = run(capsys, path)
    assert code == 3
    assert summary["missing"] == {"binance:RUNE/EUR": "named in the file header, but no frame for it was decoded"}
    assert summary["books"]["binance:RUNE/EUR"] == {"bid": None, "ask": None, "bids": 0, "asks": 0}
    assert summary["books"]["binance:LRC/BTC"]["bids"] == 176  # the other book is untouched
    assert summary["errors"] > 0 and summary["error_reasons"] == {"binance:schema": summary["errors"]}
    assert "MISSING binance:RUNE/EUR: named in the file header, but no frame for it was decoded" in table


def test_a_recording_that_yields_no_book_exits_3(tmp_path, capsys):
    everything = copy_with(tmp_path, samples.recording("okx"), "numbers.jsonl", with_json_numbers)
    code, summary, table = run(capsys, everything)
    assert code == 3 and summary["books"] == {"okx:BTC/USD:BTC-220527": {"bid": None, "ask": None, "bids": 0, "asks": 0},
                                              "okx:UNI/USD:UNI": {"bid": None, "ask": None, "bids": 0, "asks": 0}}
    assert any(line.startswith("NO BOOK: 212 messages") for line in table)


def test_a_file_whose_every_record_has_wrong_fields_exits_3(tmp_path, capsys):
    wrong = tmp_path / "wrong.jsonl"
    with RecordingReader(samples.recording("binance")) as reader:
        lines = [json.dumps({"format": "arb-recording", "version": 1, "venue": "binance", "symbols": reader.header.symbols})]
        for rec in reader:
            lines.append(json.dumps({"time": rec.ts, "exchange": rec.venue, "type": rec.kind, "payload": rec.data}))
    wrong.write_text("\n".join(lines) + "\n")
    code, summary, table = run(capsys, wrong)
    assert code == 3
    assert summary["error_reasons"] == {"line-malformed": 31} and summary["messages"] == 0
    assert set(summary["missing"]) == {"binance:LRC/BTC", "binance:RUNE/EUR"}
    # the right fields but no frame text: every frame undecodable
    empty = copy_with(tmp_path, samples.recording("binance"), "empty.jsonl",
                      lambda r: msgspec.structs.replace(r, data="{}") if r.kind in ("ws", "rest") else r)
    code, summary, _ = run(capsys, empty)
    assert code == 3 and summary["errors"] >= 28 and not [b for b in summary["books"].values() if b["bid"]]


def snapshot_level(rec, old, new):
    if rec.kind == "rest" and "LRCBTC" in (rec.url or "") and old in rec.data:
        rec.data = rec.data.replace(old, new, 1)
    return rec


def delta_level(rec, old, new):
    if rec.kind == "ws" and old in (rec.data or ""):
        rec.data = rec.data.replace(old, new, 1)
    return rec


def test_absurd_numbers_are_loud(tmp_path, capsys):
    # A price of 1e300 in the snapshot: the book cannot load it.
    path = copy_with(tmp_path, samples.recording("binance"), "e300.jsonl",
                     lambda r: snapshot_level(r, '["0.00000637","6500.00000000"]', '["1e300","6500.00000000"]'))
    code, summary, table = run(capsys, path)
    assert code == 1 and summary["error_reasons"] == {"bad-level": 1}
    assert "UNRESYNCED binance:LRC/BTC: bad level in snapshot: too large: '1e300'" in table
    # A negative size in a delta.
    path = copy_with(tmp_path, samples.recording("binance"), "negative.jsonl",
                     lambda r: delta_level(r, '["0.00000639","46369.00000000"]', '["0.00000639","-46369"]'))
    code, summary, table = run(capsys, path)
    assert code == 1 and summary["error_reasons"] == {"bad-level": 1}
    assert any("not a plain non-negative decimal: '-46369'" in line for line in table)
    # An ask at 10^300 (written plainly) and a bid at 0: both sit in the book without crossing it.
    huge = "1" + "0" * 300
    path = copy_with(tmp_path, samples.recording("binance"), "huge.jsonl",
                     lambda r: delta_level(r, '["0.00000639","46369.00000000"]', f'["{huge}","46369"]'))
    code, summary, table = run(capsys, path)
    assert code == 1 and summary["error_reasons"] == {"implausible-level": 1}
    assert summary["implausible"] == {"binance:LRC/BTC": [f"ask price {huge}"]}
    path = copy_with(tmp_path, samples.recording("binance"), "zero.jsonl",
                     lambda r: snapshot_level(r, '["0.00000637","6500.00000000"]', '["0","6500.00000000"]'))
    code, summary, table = run(capsys, path)
    assert code == 1 and summary["implausible"] == {"binance:LRC/BTC": ["bid price 0"]}
    assert any(line.startswith("IMPLAUSIBLE binance:LRC/BTC: bid price 0") for line in table)


def test_a_corrupted_gzip_is_reported_as_corrupted_and_exits_3(tmp_path, capsys):
    data = bytearray(samples.recording("okx").read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16] = bytes(b ^ 0xFF for b in data[middle : middle + 16])
    path = tmp_path / "corrupt.jsonl.gz"
    path.write_bytes(bytes(data))
    code, summary, table = run(capsys, path)
    assert code == 3
    assert list(summary["files"]["corrupted"]) == [str(path)] and summary["files"]["truncated"] == []
    assert any(line.startswith(f"CORRUPTED {path}: CRC check failed") for line in table)
    assert not any(line.startswith("TRUNCATED") for line in table)


def test_a_gzip_cut_short_by_a_crash_is_truncated_and_still_verifies(tmp_path, capsys):
    data = samples.recording("okx").read_bytes()
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) * 3 // 4])
    code, summary, table = run(capsys, path)
    assert code == 0 and summary["files"] == {"truncated": [str(path)], "corrupted": {}}
    assert any(line.startswith(f"TRUNCATED {path}") for line in table)


def test_help_documents_every_exit_status(capsys):
    with pytest.raises(SystemExit):
        verify_cli.main(["--help"])
    text = capsys.readouterr().out
    for line in ("exit status:", "  0  every expected book", "  1  a rebuilt book is wrong", "  2  a file cannot be read",
                 "  3  the input is damaged or incomplete"):
        assert line in text, line


def test_a_record_at_an_impossible_time_is_named_and_fails_verify(tmp_path, capsys):
    """Issue 10: one record at ts = 2^63-1 hung a backtest while verify passed the file."""
    seen = {"n": 0}

    def far_future(rec):
        seen["n"] += 1
        if seen["n"] == 6:
            rec.ts = 2**63 - 1
        return rec

    path = copy_with(tmp_path, samples.recording("okx"), "future.jsonl", far_future)
    code, summary, _ = run(capsys, path)
    assert code == 3 and summary["error_reasons"] == {"implausible-time": 1}
