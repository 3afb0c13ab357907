"""Joining Ray, and the custom resources arb places its work by (see ``cluster.yaml``).

``arb`` code connects through :func:`connect` only: a Ray started in this process by
default, the cluster running on this machine with ``address="auto"`` (a node started by
``ray start`` / ``ray up``), or a remote one through Ray Client (``"ray://host:10001"``).

A Ray started here is private to this machine and quiet:

* **Loopback only.** Every Ray server (GCS, raylet, object manager, workers, dashboard and
  its agents) binds 127.0.0.1 and advertises it. Ray 2.60 has no option for that:
  ``ray.init(_node_ip_address="127.0.0.1")`` is "resolved" to the machine's external
  address, and only its single-machine mode (what it uses on macOS and Windows, switched
  by ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``) keeps the loopback address — so that mode is
  set, for this process and the Ray processes it starts. A ``runtime.address`` naming a
  cluster leaves everything as the cluster wants it.
* **No noise.** Token authentication stays as Ray sets it for a new local cluster (on,
  unless ``RAY_AUTH_MODE`` says otherwise), without the warning Ray prints about it at
  every start; Ray's INFO lines ("Started a local Ray instance…") are off; the
  ``(pid=…)`` prefixes of forwarded worker output carry no colour codes unless stdout is
  a terminal and ``NO_COLOR`` is unset.
* **Nothing left behind.** Ray fate-shares its own processes with this one, but after a
  ``kill -9`` its dashboard and runtime-env agents linger about a minute (each blocks on a
  60 s call to the dead GCS to report the raylet's death). A watchdog process, started
  with a pipe from this one, wakes when the pipe closes — this process ended, however it
  ended — and kills every process that inherited this Ray's owner token (an environment
  variable set only while ``ray.init`` starts Ray's processes: only they and what they
  start carry it). Linux only (it reads ``/proc``); elsewhere it does nothing.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid

import ray

#: Only the head node: the supervisor and the single ExecutorActor (its journal is on the
#: head's disk, so a restarted executor always finds it).
HEAD_RESOURCE = "arb_head"
#: Nodes that may host shards (a shard's placement group asks for a sliver of it).
NODE_RESOURCE = "arb_node"
#: Shard slots per node (a shard — its feeds and scanner — takes one): shards spread.
SHARD_RESOURCE = "arb_shard"
#: A Ray started here is a one-node cluster: head, shard host, and room for many shards.
LOCAL_RESOURCES: dict[str, float] = {HEAD_RESOURCE: 1, NODE_RESOURCE: 1, SHARD_RESOURCE: 1024}
#: The environment variable every process of a Ray started here inherits (its value is
#: unique to that Ray): what the watchdog kills by.
OWNER_ENV = "ARB_RAY_OWNER"

_WATCHDOG = r"""
import os, signal, sys, time
wanted = ("%s=" % sys.argv[1]).encode() + sys.argv[2].encode()
sys.stdin.buffer.read()  # returns once the process that started Ray is gone
time.sleep(float(sys.argv[3]))  # Ray's own fate-sharing goes first
for name in os.listdir("/proc") if os.path.isdir("/proc") else ():
    if not name.isdigit() or int(name) == os.getpid():
        continue
    try:
        with open("/proc/%s/environ" % name, "rb") as f:
            owned = wanted in f.read().split(b"\0")
        if owned:
            os.kill(int(name), signal.SIGKILL)
    except OSError:
        pass  # gone already, or not ours to read
"""


def connect(address: str | None = None, num_cpus: int | None = None, namespace: str = "arb",
            include_dashboard: bool | None = None) -> dict[str, float]:
    """Connect this process to Ray (nothing to do when it already is, e.g. inside a task).

    ``address`` None starts a one-node Ray here with :data:`LOCAL_RESOURCES`, private to
    this machine (see the module doc; ``num_cpus`` caps its CPUs; ``include_dashboard``
    None: Ray's default, needed for the dashboard and Prometheus metrics); otherwise joins
    that cluster. Returns the cluster's resources.
    """
    if not ray.is_initialized():
        if address:
            ray.init(address=address, namespace=namespace, logging_level=logging.WARNING)
        else:
            _prepare_local()
            try:
                ray.init(num_cpus=num_cpus, namespace=namespace, resources=LOCAL_RESOURCES,
                         include_dashboard=include_dashboard, dashboard_host="127.0.0.1",
                         logging_level=logging.WARNING)
            finally:  # Ray's processes have it; what this process starts later must not
                os.environ.pop(OWNER_ENV, None)
    return ray.cluster_resources()


def _prepare_local(grace_s: float = 1.0) -> None:
    """Loopback-only, quiet, and watched (see the module doc); before ``ray.init``."""
    from ray._private import ray_constants

    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # read when ray is imported: Ray's children
    ray_constants.ENABLE_RAY_CLUSTER = False  # and this process, which imported ray already
    # "Token authentication is enabled for this Ray cluster…" at every start (it still is).
    logging.getLogger("ray._private.authentication.authentication_token_setup").setLevel(logging.ERROR)
    if not sys.stdout.isatty() or os.environ.get("NO_COLOR"):
        os.environ["RAY_COLOR_PREFIX"] = "0"
    token = uuid.uuid4().hex
    os.environ[OWNER_ENV] = token
    env = {k: v for k, v in os.environ.items() if k != OWNER_ENV}
    watchdog = subprocess.Popen(
        [sys.executable, "-c", _WATCHDOG, OWNER_ENV, token, str(grace_s)],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        start_new_session=True,  # a Ctrl-C to this process group is not for it
    )
    # The pipe must stay open exactly as long as this process: a duplicate descriptor that
    # nothing closes (not inherited by children) outlives the Popen object.
    assert watchdog.stdin is not None  # stdin=PIPE
    os.dup(watchdog.stdin.fileno())
