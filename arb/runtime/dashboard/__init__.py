"""The operator's surface of a running engine: a web dashboard with live updates and
controls, Prometheus ``/metrics``, ``/healthz`` and ``/readyz`` — in the local runtime and,
served from the driver, on Ray.

- :mod:`~arb.runtime.dashboard.server`: the aiohttp server (routes, event stream, controls);
- :mod:`~arb.runtime.dashboard.auth`: the token, the session cookie, CSRF;
- :mod:`~arb.runtime.dashboard.sources`: where it reads the engine (:class:`LocalSource`;
  :mod:`~arb.runtime.dashboard.ray_source` for Ray);
- :mod:`~arb.runtime.dashboard.state`: what the page shows, as plain values (pure);
- :mod:`~arb.runtime.dashboard.hosting`: starting it beside ``arb live``;
- ``static/``: the page — plain HTML, CSS and JavaScript written for arb (no third-party
  code, nothing loaded from elsewhere: it works offline).

The decisions themselves (kill, halt, settings) are the decision core's sans-I/O methods
(:mod:`arb.decision.controls`); this package only carries them over HTTP.
"""
