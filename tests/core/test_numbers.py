"""Exact fixed-point numbers: parse, format, reject junk."""

from decimal import Context, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arb.core.numbers import ONE, FixedParser, from_decimal, mul, parse_fixed, to_decimal, to_plain


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.00000636", 636 * 10**10),
        ("42", 42 * ONE),
        ("0.10000000", ONE // 10),
        ("1.", ONE),
        (".5", ONE // 2),
        ("1e-8", 10**10),
        ("2.5E+3", 2500 * ONE),
        ("0.000000000000000001", 1),
        ("0.0000000000000000010000", 1),  # trailing zeros past 18 dp are harmless
        ("00012.30", 123 * ONE // 10),
    ],
)
def test_parse_exact(text, expected):
    assert parse_fixed(text) == expected


@pytest.mark.parametrize(
    "text", ["", ".", "-1", "+1", " 1", "1 ", "1_000", "١", "nan", "inf", "1e-19", "0.0000000000000000001", "0x10", "1.2.3", "e5"]
)
def test_parse_rejects(text):
    with pytest.raises(ValueError):
        parse_fixed(text)


def test_parse_rejects_non_strings():
    with pytest.raises(TypeError):
        parse_fixed(None)  # type: ignore[arg-type]


@given(st.integers(min_value=0, max_value=10**30))
def test_plain_round_trip(value):
    assert parse_fixed(to_plain(value)) == value
    assert from_decimal(to_decimal(value)) == value


@given(st.decimals(min_value=0, max_value=10**12, places=18, allow_nan=False, allow_infinity=False))
def test_parse_agrees_with_decimal(dec):
    text = format(dec, "f")
    assert parse_fixed(text) == int(dec.scaleb(18, Context(prec=100)))


def test_to_plain_is_shortest_plain_decimal():
    assert to_plain(636 * 10**10) == "0.00000636"
    assert to_plain(2500 * ONE) == "2500"
    assert to_plain(-ONE // 2) == "-0.5"


def test_from_decimal_rejects_excess_precision():
    with pytest.raises(ValueError):
        from_decimal(Decimal("1e-19"))
    assert from_decimal("-1.25") == -125 * ONE // 100


def test_mul_truncates_toward_zero():
    assert mul(ONE // 3, 3 * ONE) == ONE - 1
    assert mul(-(ONE // 3), 3 * ONE) == -(ONE - 1)


def test_parser_memo_is_bounded_and_still_exact():
    parser = FixedParser(max_size=4)
    for i in range(10):
        assert parser[f"{i}.5"] == i * ONE + ONE // 2
    assert len(parser) <= 4
    with pytest.raises(ValueError):
        parser["abc"]
    assert "abc" not in parser
