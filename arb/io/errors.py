"""Transport failures and the one place that decides which are worth retrying.

::

    ArbError
     └── TransportError          a connection or request failed (``retryable`` says whether
          │                      trying again later can help)
          ├── ConnectFailed      the websocket could not be opened (refused, handshake, DNS)
          ├── ConnectionLost     an open websocket closed or broke
          ├── IdleTimeout        no inbound data for too long (or no answer to a ping)
          ├── HttpError          a REST call answered with a non-2xx status
          │    └── RateLimited   429 / 418: ``retry_after_s`` says when to ask again
          └── RequestFailed      a REST call got no answer (timeout, connection error)

:func:`classify` turns whatever the websocket and HTTP libraries raise into one of these,
by exception type and status code — never by reading message text. Messages name the
venue, the URL path and the status, never a query string (it may hold a signature).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import aiohttp
import websockets.exceptions as wse

from arb.core.errors import ArbError, DecodeError

#: HTTP statuses worth retrying: rate limits, timeouts and server-side trouble.
RETRYABLE_STATUS = frozenset({408, 418, 425, 429, 500, 502, 503, 504})
RATE_LIMIT_STATUS = frozenset({418, 429})


class TransportError(ArbError):
    """A connection or REST call failed; ``retryable`` tells a supervisor what to do next."""

    retryable = True

    def __init__(self, venue: str, detail: str, *, retryable: bool | None = None) -> None:
        self.venue = venue
        self.detail = detail
        if retryable is not None:
            self.retryable = retryable
        super().__init__(f"{venue}: {detail}")


class ConnectFailed(TransportError):
    """The websocket could not be opened."""


class ConnectionLost(TransportError):
    """An open websocket closed or broke."""


class IdleTimeout(TransportError):
    """No inbound data for longer than allowed: the connection is presumed dead."""


class RequestFailed(TransportError):
    """A REST call got no answer."""


class HttpError(TransportError):
    """A REST call answered with a non-2xx ``status``."""

    def __init__(self, venue: str, status: int, path: str, retry_after_s: float | None = None) -> None:
        self.status = status
        self.retry_after_s = retry_after_s
        suffix = f" (retry after {retry_after_s:g} s)" if retry_after_s is not None else ""
        super().__init__(venue, f"HTTP {status} from {path}{suffix}", retryable=status in RETRYABLE_STATUS)


class RateLimited(HttpError):
    """429 Too Many Requests or 418 (Binance: IP banned for a while)."""


def url_path(url: str) -> str:
    """The part of a URL safe to show: scheme, host and path, no query (it may be signed)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def http_error(venue: str, status: int, url: str, retry_after_s: float | None) -> HttpError:
    cls = RateLimited if status in RATE_LIMIT_STATUS else HttpError
    return cls(venue, status, url_path(url), retry_after_s)


#: Where a failure happened, for :func:`classify`.
WHERE = ("connect", "stream", "rest")
_BY_WHERE: dict[str, type[TransportError]] = {"connect": ConnectFailed, "stream": ConnectionLost, "rest": RequestFailed}


def classify(venue: str, exc: BaseException, where: str) -> TransportError:
    """The :class:`TransportError` for anything the transport caught.

    ``where`` is ``"connect"`` (opening a websocket, or the token call before it),
    ``"stream"`` (an open websocket) or ``"rest"`` (a REST call). Exception types that are
    not transport failures are bugs: they propagate unchanged.
    """
    if isinstance(exc, TransportError):
        return exc
    name = type(exc).__name__
    if isinstance(exc, wse.InvalidStatus):
        status = exc.response.status_code
        return ConnectFailed(venue, f"handshake answered HTTP {status}", retryable=status in RETRYABLE_STATUS or status >= 500)
    if isinstance(exc, (wse.InvalidURI, wse.InvalidProxy, aiohttp.InvalidURL)):
        return ConnectFailed(venue, f"bad URL ({name})", retryable=False)
    if isinstance(exc, wse.ConnectionClosed):
        code = exc.rcvd.code if exc.rcvd is not None else None
        return ConnectionLost(venue, f"closed ({name}, code {code})")
    if isinstance(exc, aiohttp.ClientResponseError):
        return http_error(venue, exc.status, str(exc.request_info.real_url), None)
    if isinstance(exc, (wse.WebSocketException, aiohttp.ClientError, OSError)):  # OSError: TimeoutError too
        return _BY_WHERE[where](venue, name)
    if isinstance(exc, DecodeError):
        # A token or snapshot answer we could not read: the venue may answer better later.
        return RequestFailed(venue, f"unreadable answer ({exc.reason})")
    raise exc
