"""Recording v1: round trip, crash safety, bad lines, headers, redaction."""

from __future__ import annotations

import os
import shutil

import pytest

from arb.core.errors import RecordingError
from arb.record import RecordingReader, RecordingWriter, read_records, redact_frame, redact_url
from tests import samples


def write_sample(path, n=10, flush_every=256):
    with RecordingWriter(path, "binance", ["BTC/USDT"], "test", flush_every=flush_every) as w:
        w.write(1, "binance", "connect", conn=1, url="wss://x/stream?streams=btcusdt@depth")
        for i in range(n):
            w.write(10 + i, "binance", "ws", f'{{"i":{i}}}', conn=1)
        w.write(99, "mexc", "ws", b"\x0a\x01\xff", conn=2)
        w.write(100, "binance", "rest", '{"lastUpdateId":1}', url="https://x/api/v3/depth?symbol=BTCUSDT")


@pytest.mark.parametrize("name", ["r.jsonl", "r.jsonl.gz"])
def test_round_trip_plain_and_gzip(tmp_path, name):
    path = tmp_path / name
    write_sample(path)
    with RecordingReader(path) as reader:
        records = list(reader)
        assert reader.header.venue == "binance" and reader.header.symbols == ["BTC/USDT"]
    assert [r.kind for r in records] == ["connect"] + ["ws"] * 11 + ["rest"]
    assert records[1].payload == '{"i":0}'
    assert records[-2].payload == b"\x0a\x01\xff" and records[-2].venue == "mexc"
    assert records[-1].url.endswith("symbol=BTCUSDT")
    assert reader.skipped == {} and not reader.truncated


def test_every_shipped_recording_reads_cleanly():
    for path in sorted(samples.RECORDINGS.glob("*.jsonl.gz")):
        with RecordingReader(path) as reader:
            n = sum(1 for _ in reader)
        assert n > 0 and reader.skipped == {} and not reader.truncated, path


def test_crash_mid_gzip_stream_reads_to_the_last_flushed_line(tmp_path):
    path = tmp_path / "crash.jsonl.gz"
    w = RecordingWriter(path, "binance", [], "test", flush_every=5)
    for i in range(23):
        w.write(i, "binance", "ws", f'{{"i":{i}}}', conn=1)
    # Simulate a crash: the process dies without closing (no gzip trailer); 20 were flushed.
    w._raw.flush()
    shutil.copy(path, tmp_path / "copy.jsonl.gz")
    with RecordingReader(tmp_path / "copy.jsonl.gz") as reader:
        got = [r.ts for r in reader]
    assert got == list(range(20))
    assert reader.truncated


def test_truncated_last_line_is_skipped_and_counted(tmp_path):
    path = tmp_path / "cut.jsonl"
    write_sample(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 15])  # cut into the final record
    with RecordingReader(path) as reader:
        records = list(reader)
    assert records[-1].kind == "ws"
    assert reader.skipped == {"truncated": 1} and reader.truncated


def test_malformed_lines_in_the_middle_are_skipped_and_counted(tmp_path):
    path = tmp_path / "bad.jsonl"
    write_sample(path)
    lines = path.read_text().splitlines()
    lines.insert(3, "{not json")
    lines.insert(5, '{"ts":"soon","venue":"binance","kind":"ws"}')
    lines.insert(7, '{"ts":5,"venue":"binance","kind":"telepathy"}')
    lines.insert(8, "")
    path.write_text("\n".join(lines) + "\n")
    with RecordingReader(path) as reader:
        records = list(reader)
    assert len(records) == 13
    assert reader.skipped == {"malformed": 2, "unknown-kind": 1}


@pytest.mark.parametrize(
    "content",
    [b"", b"hello\n", b'{"format":"other","version":1}\n', b'{"format":"arb-recording","version":2}\n', b"\x1f\x8b\x08garbage"],
)
def test_bad_header_is_a_clear_error(tmp_path, content):
    path = tmp_path / "x.jsonl"
    path.write_bytes(content)
    with pytest.raises(RecordingError):
        RecordingReader(path)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(RecordingError, match="cannot open"):
        RecordingReader(tmp_path / "nope.jsonl")


def test_writer_never_overwrites(tmp_path):
    path = tmp_path / "r.jsonl"
    write_sample(path)
    with pytest.raises(FileExistsError):
        RecordingWriter(path, "binance", [], "test")


def test_unknown_keys_are_ignored_and_files_chain(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_sample(a, n=1)
    b.write_text('{"format":"arb-recording","version":1,"future":true}\n{"ts":1,"venue":"okx","kind":"ws","conn":1,"data":"x","extra":[1]}\n')
    got = [(os.path.basename(r.path), rec.venue) for r, rec in read_records([a, b])]
    assert got[-1] == ("b.jsonl", "okx") and len(got) == 5


def test_secrets_are_redacted_from_urls_and_outgoing_frames(tmp_path):
    assert redact_url("wss://k/endpoint?token=abc.def&connectId=7") == "wss://k/endpoint?token=REDACTED&connectId=7"
    assert redact_url("https://x/api?symbol=A&signature=ff00&timestamp=1") == "https://x/api?symbol=A&signature=REDACTED&timestamp=1"
    assert redact_frame('{"type":"subscribe","jwt":"eyJ.x.y","channel":"level2"}') == '{"type":"subscribe","jwt":"REDACTED","channel":"level2"}'
    path = tmp_path / "s.jsonl"
    with RecordingWriter(path, "okx", [], "test") as w:
        w.write(1, "okx", "ws_out", '{"op":"login","args":[{"apiKey":"K1","passphrase":"P1","sign":"S1"}]}', conn=1)
        w.write(2, "kucoin", "connect", conn=1, url="wss://ws-api/?token=SECRET1&connectId=1")
    text = path.read_text()
    for secret in ("K1", "P1", "S1", "SECRET1"):
        assert secret not in text


def gzip_sample(tmp_path, n=3000):
    path = tmp_path / "r.jsonl.gz"
    with RecordingWriter(path, "binance", ["BTC/USDT"], "test") as w:
        for i in range(n):
            w.write(10 + i, "binance", "ws", f'{{"i":{i},"pad":"{"x" * (i % 37)}"}}', conn=1)
    return path


@pytest.mark.parametrize("where", [0.3, 0.6, 0.9])
def test_a_gzip_corrupted_in_the_middle_is_corrupted_not_truncated(tmp_path, where):
    path = gzip_sample(tmp_path)
    data = bytearray(path.read_bytes())
    at = int(len(data) * where)
    data[at : at + 16] = bytes(b ^ 0xFF for b in data[at : at + 16])
    path.write_bytes(bytes(data))
    with RecordingReader(path) as reader:
        got = sum(1 for _ in reader)
    assert got < 3000
    assert reader.corrupted is not None and not reader.truncated
    assert any("CORRUPTED" in line for line in reader.problems())


def test_a_gzip_crc_mismatch_and_garbage_after_the_stream_are_corruption(tmp_path):
    path = gzip_sample(tmp_path)
    good = path.read_bytes()
    crc = bytearray(good)
    crc[-5] ^= 1  # the CRC32 in the gzip trailer
    path.write_bytes(bytes(crc))
    with RecordingReader(path) as reader:
        assert sum(1 for _ in reader) == 3000
    assert reader.corrupted is not None and "CRC" in reader.corrupted and not reader.truncated
    path.write_bytes(good + b"garbage after the stream")
    with RecordingReader(path) as reader:
        assert sum(1 for _ in reader) == 3000
    assert reader.corrupted is not None and not reader.truncated


def test_a_gzip_cut_short_is_truncated_not_corrupted(tmp_path):
    path = gzip_sample(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with RecordingReader(path) as reader:
        got = [r.ts for r in reader]
    assert got == list(range(10, 10 + len(got))) and 0 < len(got) < 3000
    assert reader.truncated and reader.corrupted is None
    assert [line for line in reader.problems() if "truncated" in line]


def test_bad_lines_are_summarised_once_per_reason_never_logged_one_by_one(tmp_path, caplog):
    path = tmp_path / "bad.jsonl"
    write_sample(path)
    lines = path.read_text().splitlines()
    lines[2:2] = ["{not json"] * 700 + ['{"ts":5,"venue":"binance","kind":"telepathy"}'] * 17
    path.write_text("\n".join(lines) + "\n")
    with caplog.at_level("WARNING", logger="arb.record.reader"), RecordingReader(path) as reader:
        assert sum(1 for _ in reader) == 13
    assert reader.skipped == {"malformed": 700, "unknown-kind": 17}
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2, messages
    assert "skipped 700 malformed lines (first: line 3:" in messages[0]
    assert "skipped 17 unknown-kind lines (first: line 703: kind 'telepathy')" in messages[1]
