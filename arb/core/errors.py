"""The exceptions arb raises, rooted at one class.

::

    ArbError
     ├── DecodeError        a venue frame or REST body could not be decoded (the only
     │                      exception a venue decoder raises)
     ├── RecordingError     a recording file is unreadable or not "arb recording v1"
     ├── SymbolError        a symbol or asset code could not be resolved
     └── ConfigError        a configuration value is missing, mistyped or out of range

Errors carry what went wrong in words a user can act on, never credentials.
"""


class ArbError(Exception):
    """Root of every exception arb raises on purpose."""


class DecodeError(ArbError):
    """A frame or body could not be turned into events.

    ``venue`` names the venue; ``reason`` is a short machine-friendly tag (``json``,
    ``schema``, ``number``, ``protobuf`` …) used to count skips by cause.
    """

    def __init__(self, venue: str, reason: str, detail: str = "") -> None:
        self.venue = venue
        self.reason = reason
        self.detail = detail
        super().__init__(f"{venue}: cannot decode ({reason}){': ' + detail if detail else ''}")


class RecordingError(ArbError):
    """A recording is unreadable, has no valid header, or is not version 1."""


class SymbolError(ArbError):
    """A venue symbol or unified symbol could not be resolved."""


class ConfigError(ArbError):
    """A configuration value is wrong; the message names the key."""
