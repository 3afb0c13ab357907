"""The small config loader: registers the schema with Hydra and turns a composed config into
validated :class:`arb.config.ArbConf` objects (the only Hydra-aware module besides the apps)."""

from __future__ import annotations

from pathlib import Path

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from arb.config import SECRET_KEYS, ArbConf
from arb.core.errors import ConfigError

CONF_DIR = str(Path(__file__).resolve().parent.parent / "conf")

ConfigStore.instance().store(name="arb_schema", node=ArbConf)


def _literal_secrets(node: object, path: str = "") -> list[str]:
    """Keys holding a credential written literally instead of ``${oc.env:…}``."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}{key}"
            if key in SECRET_KEYS and value is not None and not (isinstance(value, str) and value.startswith("${oc.env:")):
                found.append(here)
            found += _literal_secrets(value, here + ".")
    return found


def load(cfg: DictConfig) -> ArbConf:
    """Validate and build the config objects; raises :class:`ConfigError` naming the key."""
    raw = OmegaConf.to_container(cfg, resolve=False)
    literal = _literal_secrets(raw)
    if literal:
        raise ConfigError(
            f"{', '.join(literal)}: credentials may only come from the environment "
            "(e.g. api_key: ${oc.env:ARB_BINANCE_API_KEY,null}), never from files or the command line"
        )
    try:
        conf = OmegaConf.to_object(cfg)
    except OmegaConfBaseException as exc:
        key = getattr(exc, "full_key", None)
        raise ConfigError(f"{key}: {exc.msg if hasattr(exc, 'msg') else exc}" if key else str(exc)) from None
    assert isinstance(conf, ArbConf)
    return conf
