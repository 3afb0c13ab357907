"""``arb simulate``: serve loopback venue simulators until Ctrl-C (for your own clients).

    arb simulate                                  # universe venues × symbols, market model
    arb simulate live.sim.faults.okx.gap=0.01     # with faults
    arb simulate +sim_recordings=[samples/recordings/okx-2022-05-13-books.jsonl.gz]   # replay

Prints each venue's websocket and REST URL; point a venue at one with
``venues.<name>.ws_url=… venues.<name>.rest_url=…``.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace

import hydra
from omegaconf import DictConfig, open_dict

from arb.core.errors import ArbError
from arb.sim.server import SimulatedVenues
from workflows.config import CONF_DIR, load
from workflows.live import simulator_config, stop_event


async def serve(conf, recordings: list[str]) -> None:
    config = simulator_config(conf)
    if recordings:
        config = replace(config, market=None, recordings=tuple(recordings), speed=None)
    stop = stop_event()
    async with SimulatedVenues(config) as sims:
        for venue, urls in sims.urls().items():
            print(f"{venue:<9} ws {urls['ws_url']:<40} rest {urls['rest_url']}", flush=True)
        print("serving; Ctrl-C to stop", flush=True)
        await stop.wait()


@hydra.main(config_path=CONF_DIR, config_name="config", version_base="1.3")
def app(cfg: DictConfig) -> None:
    with open_dict(cfg):  # ``+sim_recordings`` is ours, not part of the config schema
        recordings = list(cfg.pop("sim_recordings", None) or [])
    try:
        asyncio.run(serve(load(cfg, tracking=False), recordings))
    except ArbError as exc:
        print(f"arb simulate: {exc}", file=sys.stderr)
        sys.exit(2)


def main(argv: list[str]) -> int:
    sys.argv = ["arb simulate", *argv]
    app()
    return 0
