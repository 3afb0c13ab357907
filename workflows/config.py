"""The small config loader: registers the schema with Hydra, turns a composed config into a
validated :class:`arb.config.ArbConf` (:func:`load`), refuses unknown keys on the command
line before Hydra runs (:func:`check_overrides`) and prints configs with credentials masked
(:func:`print_config`). The only Hydra-aware module besides the apps.
"""

from __future__ import annotations

import logging
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO, overload

from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf, read_write
from omegaconf.errors import OmegaConfBaseException

from arb.config import MASK, SECRET_KEYS, ArbConf, TrackingConf, check_key, is_env_reference, redact_overrides, unknown_keys
from arb.core.errors import ConfigError
from arb.runtime import settings

CONF_DIR = str(Path(__file__).resolve().parent.parent / "conf")
#: Config groups (``live=public``, ``universe=all`` …): the folders of ``conf/``.
GROUPS = frozenset(p.name for p in Path(CONF_DIR).iterdir() if p.is_dir())
#: How long a tracking server may take to answer the start-up check.
TRACKING_TIMEOUT_S = 3.0

log = logging.getLogger("arb.config")

ConfigStore.instance().store(name="arb_schema", node=ArbConf)


def _literal_secrets(node: object, path: str = "") -> list[str]:
    """Keys holding a credential that is not a plain environment reference — written in a
    file or on the command line, or as the default of ``${oc.env:NAME,default}``."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}{key}"
            if key in SECRET_KEYS and value is not None and not is_env_reference(value):
                found.append(here)
            found += _literal_secrets(value, here + ".")
    return found


def load(cfg: DictConfig, *, tracking: bool = True) -> ArbConf:
    """Validate and build the config objects; raises :class:`ConfigError` naming the key.

    In order: credentials only from the environment; every key known to the schema (also
    those added with ``+``); types; ranges and contradictions (:mod:`arb.config`); exact
    conversion (:func:`arb.runtime.settings.check`); with ``tracking``, a tracking server
    that answers (:func:`check_tracking`). Warnings (:meth:`ArbConf.warnings`) are logged.
    """
    raw = OmegaConf.to_container(cfg, resolve=False)
    literal = _literal_secrets(raw)
    if literal:
        raise ConfigError(
            f"{', '.join(literal)}: credentials may only come from the environment "
            "(e.g. api_key: ${oc.env:ARB_BINANCE_API_KEY,null}), never from files, the command line "
            "or a default inside ${oc.env:…}"
        )
    assert isinstance(raw, dict)
    unknown = unknown_keys(raw)
    if unknown:
        raise ConfigError("; ".join(unknown))
    try:
        conf = OmegaConf.to_object(cfg)
    except OmegaConfBaseException as exc:
        key = getattr(exc, "full_key", None)
        raise ConfigError(f"{key}: {exc.msg if hasattr(exc, 'msg') else exc}" if key else str(exc)) from None
    assert isinstance(conf, ArbConf)
    settings.check(conf)
    for warning in conf.warnings():
        log.warning("%s", warning)
    if tracking:
        check_tracking(conf.tracking)
    return conf


def check_tracking(conf: TrackingConf, timeout_s: float = TRACKING_TIMEOUT_S) -> None:
    """Fail fast when the MLflow tracking server (``tracking.uri``, else
    ``$MLFLOW_TRACKING_URI``) does not answer within ``timeout_s``; any HTTP answer counts
    (MLflow's ``/health`` says OK). Local stores (``sqlite:``, files) are not checked."""
    if not conf.enabled:
        return
    key, uri = "tracking.uri", conf.uri
    if not uri:
        key, uri = "$MLFLOW_TRACKING_URI", os.environ.get("MLFLOW_TRACKING_URI")
    if not uri or not uri.startswith(("http://", "https://")):
        return
    try:
        with urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=timeout_s):
            return
    except urllib.error.HTTPError as exc:
        if exc.code not in (502, 503, 504):  # a proxy saying the server is not there
            return
        reason: object = f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
    raise ConfigError(
        f"{key}={uri}: no MLflow tracking server answers ({reason}); start it, fix the URI "
        "or set tracking.enabled=false"
    )


def check_overrides(overrides: Sequence[str], extra_keys: Sequence[str] = ()) -> None:
    """Refuse command-line overrides of keys the schema does not have, before Hydra runs —
    Hydra's own message for ``strategy.min_profti_quote=1`` advises adding it with ``+``.
    Config group choices (``live=public``), ``hydra.*`` settings and ``extra_keys`` (a
    workflow's own, e.g. ``sim_recordings``) pass; so do overrides Hydra cannot parse (it
    reports those itself)."""
    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
    except HydraException:
        return
    for override in parsed:
        key = override.key_or_group
        if override.is_hydra_override() or "/" in key or key in GROUPS or key in extra_keys:
            continue
        check_key(key)


def print_config(
    overrides: Sequence[str],
    cfg_type: str = "job",
    package: str | None = None,
    resolve: bool = False,
    job_name: str = "arb",
    out: TextIO | None = None,
) -> None:
    """What Hydra's ``--cfg job|hydra|all [--package P] [--resolve]`` prints, with every
    credential masked: a resolved secret (or a literal one) shows as ``***``; an unresolved
    environment reference (``${oc.env:ARB_OKX_API_KEY,null}``) is shown, it is not secret.
    The composed overrides in the ``hydra`` section are masked the same way."""
    try:
        with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3", job_name=job_name):
            cfg = compose(config_name="config", overrides=list(overrides), return_hydra_config=cfg_type != "job")
            if resolve:
                with read_write(cfg):
                    OmegaConf.resolve(cfg)  # as Hydra does: values left missing (``???``) stay so
    except (HydraException, OmegaConfBaseException) as exc:
        raise ConfigError(str(exc)) from None
    tree = OmegaConf.to_container(cfg, resolve=False)
    assert isinstance(tree, dict)
    if cfg_type == "hydra":
        tree = {"hydra": tree["hydra"]}
    if "hydra" in tree:
        hydra = tree["hydra"]
        hydra.pop("help", None)
        hydra.pop("hydra_help", None)
        for name in ("task", "hydra"):
            hydra["overrides"][name] = redact_overrides(hydra["overrides"][name])
        job = hydra["job"]
        if any(secret in str(job.get("override_dirname", "")) for secret in SECRET_KEYS):
            job["override_dirname"] = MASK
    tree = _masked(tree)
    node: object = tree
    if package and package != "_global_":
        node = OmegaConf.select(OmegaConf.create(tree), package)
        if node is None:
            raise ConfigError(f"--package {package}: not found in the config")
    stream = out if out is not None else sys.stdout
    if not isinstance(node, (dict, DictConfig)):
        print(node, file=stream)
        return
    if package and package != "_global_":
        print(f"# @package {package}", file=stream)
    stream.write(OmegaConf.to_yaml(OmegaConf.create(node) if isinstance(node, dict) else node))


@overload
def _masked(node: dict[Any, object]) -> dict[Any, object]: ...
@overload
def _masked(node: object) -> object: ...
def _masked(node: object) -> object:
    """A plain config tree with every credential value masked except environment references."""
    if isinstance(node, dict):
        return {
            key: MASK if key in SECRET_KEYS and value is not None and not is_env_reference(value) else _masked(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_masked(item) for item in node]
    return node
