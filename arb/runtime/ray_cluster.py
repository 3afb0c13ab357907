"""Joining Ray, and the custom resources arb places its work by (see ``cluster.yaml``).

``arb`` code connects through :func:`connect` only: a Ray started in this process by
default, the cluster running on this machine with ``address="auto"`` (a node started by
``ray start`` / ``ray up``), or a remote one through Ray Client (``"ray://host:10001"``).
"""

from __future__ import annotations

import ray

#: Only the head node: the supervisor and the single ExecutorActor (its journal is on the
#: head's disk, so a restarted executor always finds it).
HEAD_RESOURCE = "arb_head"
#: Nodes that may host shards (a shard's placement group asks for a sliver of it).
NODE_RESOURCE = "arb_node"
#: Shard slots per node (a shard — its feeds and scanner — takes one): shards spread.
SHARD_RESOURCE = "arb_shard"
#: A Ray started here is a one-node cluster: head, shard host, and room for many shards.
LOCAL_RESOURCES = {HEAD_RESOURCE: 1, NODE_RESOURCE: 1, SHARD_RESOURCE: 1024}


def connect(address: str | None = None, num_cpus: int | None = None, namespace: str = "arb",
            include_dashboard: bool | None = None) -> dict[str, float]:
    """Connect this process to Ray (nothing to do when it already is, e.g. inside a task).

    ``address`` None starts a one-node Ray here with :data:`LOCAL_RESOURCES` (``num_cpus``
    caps its CPUs; ``include_dashboard`` None: Ray's default, needed for the dashboard and
    Prometheus metrics); otherwise joins that cluster. Returns the cluster's resources.
    """
    if not ray.is_initialized():
        if address:
            ray.init(address=address, namespace=namespace)
        else:
            ray.init(num_cpus=num_cpus, namespace=namespace, resources=LOCAL_RESOURCES,
                     include_dashboard=include_dashboard)
    return ray.cluster_resources()
