"""Configuration: the settings from the environment and the legal-approved TOML config.

`load_settings` is the only code that reads the environment; the TOML file is validated by
`config.schema` into the frozen objects of `config.legal`. Neither reads a store or serves.
"""

from trust_signals.config.legal import (
    MarketplaceConfig,
    TrustConfig,
    load_config,
    parse_config,
    read_config_text,
)
from trust_signals.config.settings import (
    DEFAULT_STORE,
    ENV_PREFIX,
    Settings,
    default_config_path,
    load_settings,
)
from trust_signals.config.versions import config_version, signals_version

__all__ = [
    "DEFAULT_STORE",
    "ENV_PREFIX",
    "MarketplaceConfig",
    "Settings",
    "TrustConfig",
    "config_version",
    "default_config_path",
    "load_config",
    "load_settings",
    "parse_config",
    "read_config_text",
    "signals_version",
]
