"""How many messages/s one process serves: 7 simulated venues × 20 symbols over loopback.

``python bench/sim_servers.py`` (speed is measured here, never asserted in tests).
The simulator runs in this process with the market sped up (``--speed``; ``--prepare``
plays that many model seconds from a precomputed tape first). Counting clients — one
connection per venue, MEXC sharded by its 15-symbol cap, subscribed with the venue
modules' own frames — run in a second process by default (the simulator's own cost is
then what this process spends) or in the same loop (``--same-process``). Reports frames
written per second, the CPU this process spent per frame, and whether the market kept
its speed. Prints one JSON object as its last line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
import asyncio
import json
import multiprocessing as mp
import os
import resource
import time
from multiprocessing.connection import Connection

import aiohttp
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from arb.sim import presets
from arb.sim.server import ServerOptions, SimConfig, SimulatedVenues
from arb.venues.registry import get as get_spec


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _clients(urls: dict[str, dict[str, str]], symbols: list[str], counts: dict[str, int], stop: asyncio.Event) -> list[asyncio.Task]:
    """One counting client per (venue, shard); returns once every one has a first frame."""
    started: list[asyncio.Event] = []

    async def client(venue: str, natives: list[str], first: asyncio.Event) -> None:
        spec = get_spec(venue)
        if spec.connect_request is not None:
            async with aiohttp.ClientSession() as http:
                request = spec.connect_request(urls[venue]["rest_url"])
                async with http.request(request.method, request.url) as response:
                    url, _, _ = spec.connect_url_from_response(await response.text(), "bench")  # type: ignore[misc]
        else:
            url = spec.connect_url(urls[venue]["ws_url"], natives, spec.depth)
        async with websockets.connect(url, compression=None, max_size=None, max_queue=None, ping_interval=None) as ws:
            for frame in spec.subscribe_frames(natives, spec.depth, time.time_ns() // 1_000_000):
                await ws.send(frame)
            counts.setdefault(venue, 0)
            while not stop.is_set():
                await ws.recv()
                counts[venue] += 1
                first.set()

    tasks = []
    for venue in urls:
        spec = get_spec(venue)
        smap = spec.symbol_map(symbols)
        natives = [smap.venue_symbol(s) for s in symbols]
        per = spec.max_symbols_per_connection or len(natives)
        for i in range(0, len(natives), per):
            started.append(asyncio.Event())
            tasks.append(asyncio.create_task(client(venue, natives[i : i + per], started[-1])))
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in started)), 60)
    return tasks


def _client_process(urls: dict, symbols: list[str], pipe: Connection) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        counts: dict[str, int] = {}
        stop = asyncio.Event()
        tasks = await _clients(urls, symbols, counts, stop)
        pipe.send("ready")
        await loop.run_in_executor(None, pipe.recv)  # "start"
        start, t0 = dict(counts), time.perf_counter()
        await loop.run_in_executor(None, pipe.recv)  # "stop"
        elapsed = time.perf_counter() - t0
        pipe.send({v: (counts[v] - start.get(v, 0)) / elapsed for v in counts})
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())


async def main(args: argparse.Namespace) -> dict:
    market = presets.seven_venues(args.symbols)
    config = SimConfig(
        market=market, seed=1, speed=args.speed, prepare_s=args.prepare or None, options=ServerOptions(ping_interval_s=None)
    )
    t_start = time.perf_counter()
    async with SimulatedVenues(config) as sims:
        startup_s = time.perf_counter() - t_start
        symbols = list(market.symbol_names)
        if args.same_process:
            counts: dict[str, int] = {}
            stop = asyncio.Event()
            tasks = await _clients(sims.urls(), symbols, counts, stop)
        else:
            ours, theirs = mp.get_context("spawn").Pipe()
            proc = mp.get_context("spawn").Process(target=_client_process, args=(sims.urls(), symbols, theirs))
            proc.start()
            await asyncio.to_thread(ours.recv)  # the client process is ready
            ours.send("start")
        await asyncio.sleep(args.warmup)
        cpu0, wall0 = _cpu(), time.perf_counter()
        frames0 = sum(s.frames_sent for s in sims.servers.values())
        market0 = sims.driver.position_ns
        start_counts = dict(counts) if args.same_process else {}
        await asyncio.sleep(args.seconds)
        wall = time.perf_counter() - wall0
        cpu = _cpu() - cpu0
        frames = sum(s.frames_sent for s in sims.servers.values()) - frames0
        achieved = (sims.driver.position_ns - market0) / 1e9 / wall
        tape_ran_out = bool(args.prepare) and not sims.driver.tape
        if args.same_process:
            received = {v: (counts[v] - start_counts.get(v, 0)) / wall for v in counts}
            stop.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        else:
            ours.send("stop")
            received = await asyncio.to_thread(ours.recv)
            proc.join()
        return {
            "venues": len(sims), "symbols": len(symbols), "same_process": args.same_process, "cpus": os.cpu_count(),
            "requested_speed": args.speed, "achieved_speed": round(achieved, 2),
            "prepare_s": args.prepare, "startup_s": round(startup_s, 1), "tape_lag_s": round(sims.tape_lag_ns / 1e9, 2),
            "tape_ran_out": tape_ran_out,
            "frames_written_per_s": round(frames / wall),
            "messages_received_per_s": round(sum(received.values())),
            "per_venue": {v: round(r) for v, r in received.items()},
            "process_cpu_share": round(cpu / wall, 2),
            "cpu_us_per_frame": round(cpu / max(frames, 1) * 1e6, 1),
        }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--symbols", type=int, default=20)
    parser.add_argument("--speed", type=float, default=4.0, help="model seconds per wall second")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--prepare", type=float, default=0.0, help="model seconds precomputed before serving (a tape); cover speed × (warmup + seconds + ~3 s to connect)")
    parser.add_argument("--same-process", action="store_true")
    print(json.dumps(asyncio.run(main(parser.parse_args()))))
