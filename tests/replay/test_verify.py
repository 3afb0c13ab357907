"""``arb verify``: the JSON contract, exit codes, bad input."""

from __future__ import annotations

import json
import subprocess
import sys

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
