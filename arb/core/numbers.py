"""Exact numbers: decimal lexemes ↔ fixed-point integers.

Every price and quantity inside arb is an ``int`` counting units of 10**-18 ("fixed", like
wei). Venue text is parsed straight into that integer — never through ``float`` — so the
value is exact, comparisons are integer comparisons and book keys are plain ints.
18 decimal places hold every spot price and quantity we have seen (the finest are
ERC-20 amounts at 18 dp); a lexeme with more digits after the point is rejected rather
than rounded.

Money results leave the core as :class:`decimal.Decimal` (``to_decimal``) or plain
decimal strings (``to_plain``); floats appear only in analytics and plots.
"""

from __future__ import annotations

from decimal import Context, Decimal, InvalidOperation

DECIMALS = 18
ONE = 10**DECIMALS
_POW10 = [10**i for i in range(DECIMALS + 1)]
#: Decimal arithmetic here must never round: a context far wider than any value we hold.
_EXACT = Context(prec=400, Emax=10**6, Emin=-(10**6))


def parse_fixed(text: str) -> int:
    """Parse a non-negative plain decimal lexeme (``"0.00000636"``, ``"42"``, ``"1."``) exactly.

    Exponent forms (``"1e-8"``) are accepted through :class:`Decimal` as a slow path.
    Raises ``ValueError`` for anything else: signs, spaces, underscores, non-ASCII digits,
    more than 18 decimal places, empty text. (``TypeError`` if ``text`` is not a ``str``.)
    """
    if type(text) is not str:
        raise TypeError(f"decimal text expected, got {type(text).__name__}")
    whole, _, frac = text.partition(".")
    digits = whole + frac
    places = len(frac)
    if digits.isdigit() and digits.isascii():
        if places <= DECIMALS:
            return int(digits) * _POW10[DECIMALS - places]
        # Trailing zeros beyond 18 dp are harmless; real extra precision is not.
        stripped = frac.rstrip("0")
        if len(stripped) <= DECIMALS:
            return int(whole + stripped) * _POW10[DECIMALS - len(stripped)]
        raise ValueError(f"more than {DECIMALS} decimal places: {text[:40]!r}")
    return _parse_exponent(text)


def _parse_exponent(text: str) -> int:
    if not (text.isascii() and ("e" in text or "E" in text)):
        raise ValueError(f"not a plain non-negative decimal: {text[:40]!r}")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not a decimal: {text[:40]!r}") from None
    if not value.is_finite() or value.is_signed():
        raise ValueError(f"not a finite non-negative decimal: {text[:40]!r}")
    if value.adjusted() > 60:
        raise ValueError(f"too large: {text[:40]!r}")
    return _scaled_int(value, text)


def _scaled_int(value: Decimal, original: object) -> int:
    scaled = value.scaleb(DECIMALS, _EXACT)
    if scaled != scaled.to_integral_value(context=_EXACT):
        raise ValueError(f"more than {DECIMALS} decimal places: {str(original)[:40]!r}")
    return int(scaled)


class FixedParser(dict[str, int]):
    """A bounded memo ``lexeme → fixed int``: ``parser[text]``.

    Book updates repeat the same price and size lexemes over and over; a dict hit costs
    ~25 ns where parsing costs ~400 ns. A miss parses with :func:`parse_fixed` (and so may
    raise ``ValueError``/``TypeError``). When the memo reaches ``max_size`` entries it
    starts again empty, which bounds memory on long runs.
    """

    __slots__ = ("max_size",)

    def __init__(self, max_size: int = 65536) -> None:
        super().__init__()
        self.max_size = max_size

    def __missing__(self, text: str) -> int:
        return self.remember(text)

    def remember(self, text: str) -> int:
        """Parse ``text`` and keep it (the miss path; callers that expect many misses, like
        quantities, try ``.get`` first, which is cheaper than a miss through ``[]``)."""
        value = parse_fixed(text)
        if len(self) >= self.max_size:
            self.clear()
        self[text] = value
        return value


def to_plain(value: int) -> str:
    """Fixed int → shortest plain decimal string (``636 * 10**10`` → ``"0.00000636"``)."""
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), ONE)
    if not frac:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{frac:018d}".rstrip("0")


def to_decimal(value: int) -> Decimal:
    """Fixed int → exact :class:`Decimal`."""
    return Decimal(value).scaleb(-DECIMALS, _EXACT)


def from_decimal(value: Decimal | int | str) -> int:
    """Exact :class:`Decimal` (or int, or decimal text, possibly negative) → fixed int.

    Raises ``ValueError`` when the value has more than 18 decimal places or is not finite.
    """
    try:
        dec = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not a decimal: {str(value)[:40]!r}") from None
    if not dec.is_finite():
        raise ValueError(f"not a finite decimal: {value!r}")
    return _scaled_int(dec, value)


def to_float(value: int) -> float:
    """Fixed int → float, for analytics and plots only."""
    return value / ONE


def mul(a: int, b: int) -> int:
    """Product of two fixed values, truncated toward zero to 18 dp (e.g. price × qty)."""
    product = a * b
    return product // ONE if product >= 0 else -((-product) // ONE)
