"""storeroom.yaml: the settings model and its loader."""

from .loader import CONFIG_NAME, documented_keys, load_settings, settings_as_dict, settings_yaml
from .settings import Settings

__all__ = ["CONFIG_NAME", "Settings", "documented_keys", "load_settings", "settings_as_dict",
           "settings_yaml"]
