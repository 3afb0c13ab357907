"""cluster.yaml is a valid Ray cluster-launcher config that installs arb on every node."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import ray.autoscaler
import yaml
from ray.autoscaler._private.local.config import prepare_local
from ray.autoscaler._private.util import fillout_defaults, merge_setup_commands, validate_config

from arb.runtime.ray_cluster import HEAD_RESOURCE, NODE_RESOURCE, SHARD_RESOURCE

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = Path(ray.autoscaler.__file__).parent / "ray-schema.json"


@pytest.fixture(scope="module")
def cluster() -> dict:
    return yaml.safe_load((ROOT / "cluster.yaml").read_text())


def test_validates_against_rays_cluster_schema(cluster):
    jsonschema.validate(cluster, json.loads(SCHEMA.read_text()))
    # and Ray's own checks, after filling in its provider defaults as `ray up` does
    validate_config(merge_setup_commands(fillout_defaults(copy.deepcopy(cluster))))


def test_head_and_worker_node_types_carry_arbs_placement_resources(cluster):
    types = cluster["available_node_types"]
    head = types[cluster["head_node_type"]]
    workers = [t for name, t in types.items() if name != cluster["head_node_type"]]
    assert head["resources"].get(HEAD_RESOURCE) == 1 and NODE_RESOURCE not in head["resources"]
    assert workers and all(w["resources"].get(NODE_RESOURCE) == 1 and w["resources"].get(SHARD_RESOURCE, 0) >= 1
                           for w in workers)
    assert sum(w.get("min_workers", 0) for w in workers) >= 2  # shards have somewhere to go after a node loss


def test_every_node_gets_the_working_tree_and_runs_the_bootstrap(cluster):
    assert cluster["file_mounts"]["~/arb"] == "."
    setup = " && ".join(cluster["setup_commands"])
    assert "scripts/bootstrap.py" in setup and "python3.11" in setup
    assert (ROOT / "scripts" / "bootstrap.py").exists()
    # ray is started from arb's own environment, with token auth, exporting metrics
    for command in (cluster["head_start_ray_commands"][-1], cluster["worker_start_ray_commands"][-1]):
        assert "~/arb/.venv/bin/ray start" in command and "RAY_AUTH_MODE=token" in command
        assert "--metrics-export-port" in command
    assert "~/.ray/auth_token" in cluster["file_mounts"]


def test_the_on_prem_variant_in_the_comments_is_valid_too(cluster):
    """The header explains the local provider: no node types, resources on `ray start`."""
    text = (ROOT / "cluster.yaml").read_text()
    onprem = copy.deepcopy(cluster)
    for key in ("available_node_types", "head_node_type", "max_workers"):
        onprem.pop(key)
    onprem["provider"] = {"type": "local", "head_ip": "10.0.0.10", "worker_ips": ["10.0.0.11", "10.0.0.12"]}
    onprem["auth"] = {"ssh_user": "arb", "ssh_private_key": "~/.ssh/id_ed25519"}
    for key in ("head_start_ray_commands", "worker_start_ray_commands"):
        lines = [line.strip()[2:] for line in text.splitlines()
                 if line.startswith("#     - ") and ("--head" in line) == (key.startswith("head"))
                 and "ray start" in line]
        assert len(lines) == 1, key
        onprem[key] = ["ray stop", lines[0]]
    assert f'"{HEAD_RESOURCE}": 1' in onprem["head_start_ray_commands"][1]
    assert f'"{NODE_RESOURCE}": 1' in onprem["worker_start_ray_commands"][1]
    prepared, _ = prepare_local(fillout_defaults(onprem))
    validate_config(merge_setup_commands(prepared))
