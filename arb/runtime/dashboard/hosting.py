"""Start and stop the dashboard beside a running engine (what ``arb live`` calls).

    async with serve_local(conf, live, project_dir, os.environ):      # the local runtime
        await live.run(stop)

    hosted = await start_ray(conf, topology, project_dir, os.environ)  # on Ray, in the driver
    …
    await hosted.stop()

Prints the URL with the token once (or, for a token from ``$ARB_DASHBOARD_TOKEN``, the URL
and where the token comes from), and a warning when bound beyond loopback.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from arb.config import ArbConf, is_loopback
from arb.runtime.dashboard.auth import TOKEN_ENV, resolve_token
from arb.runtime.dashboard.server import DashboardServer
from arb.runtime.dashboard.sources import LocalSource, Source
from arb.runtime.live import LocalRuntime

if TYPE_CHECKING:
    from arb.runtime.ray_topology import RayTopology


class Hosted:
    """A started dashboard (or none, when ``dashboard.enabled=false``)."""

    def __init__(self, server: DashboardServer | None, url: str | None) -> None:
        self.server = server
        #: ``http://host:port`` (None: no dashboard).
        self.url = url

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()


async def start(conf: ArbConf, source: Source, project_dir: Path, environ: Mapping[str, str], out: TextIO | None = None) -> Hosted:
    """Serve ``source`` as ``conf.dashboard`` says; announce the URL on ``out`` (stderr)."""
    dash = conf.dashboard
    if not dash.enabled:
        return Hosted(None, None)
    out = out if out is not None else sys.stderr
    token_file = Path(dash.token_file)
    token, where = resolve_token(environ, token_file if token_file.is_absolute() else project_dir / token_file)
    server = DashboardServer(source, token, host=dash.host, port=dash.port, refresh_s=dash.refresh_s)
    url = await server.start()
    if where.startswith("$"):
        print(f"dashboard: {url}/  (token from {TOKEN_ENV}: open {url}/?token=<token>)", file=out, flush=True)
    else:
        print(f"dashboard: {url}/?token={token}  (token also in {where}, owner-only)", file=out, flush=True)
    warning = exposure_warning(dash.host, server.port)
    if warning is not None:
        print(warning, file=out, flush=True)
    return Hosted(server, url)


def exposure_warning(host: str, port: int) -> str | None:
    """What to say when the dashboard listens beyond loopback (None: it does not)."""
    if is_loopback(host):
        return None
    return (f"WARNING: the dashboard listens on {host}:{port}, beyond this machine: anyone who can reach it "
            "and holds the token can halt trading; without TLS in front, the token travels in clear text")


@contextlib.asynccontextmanager
async def serve_local(
    conf: ArbConf, live: LocalRuntime, project_dir: Path, environ: Mapping[str, str], out: TextIO | None = None,
) -> AsyncIterator[Hosted]:
    """The dashboard of the local runtime ``live`` (turns its metrics on), while inside."""
    hosted = await start(conf, LocalSource(live), project_dir, environ, out) if conf.dashboard.enabled else Hosted(None, None)
    try:
        yield hosted
    finally:
        await hosted.stop()


async def start_ray(
    conf: ArbConf, topology: RayTopology, project_dir: Path, environ: Mapping[str, str], out: TextIO | None = None,
) -> Hosted:
    """The dashboard of a started Ray topology, served from this (the driver) process."""
    if not conf.dashboard.enabled:
        return Hosted(None, None)
    from arb.runtime.dashboard.ray_source import RaySource

    return await start(conf, RaySource(topology), project_dir, environ, out)
