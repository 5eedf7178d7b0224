"""Typed reading of `workplace:` stack config values, falling back to environment variables."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from pulumi_workplace.settings import ConfigSource, SettingsError

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


class ConfigReader:
    """Reads `workplace:<key>` from stack config, else the environment variable for the key.

    Errors are SettingsError naming the config key, never echoing a value (it may be secret).
    """

    def __init__(
        self, config: ConfigSource, environ: Mapping[str, str], env_names: Mapping[str, str]
    ) -> None:
        self._config = config
        self._environ = environ
        self._env_names = env_names

    def _name(self, key: str) -> str:
        env = self._env_names.get(key)
        return f"workplace:{key}" + (f" / {env}" if env else "")

    def raw(self, key: str) -> Any:
        """The stack config value, else the environment value; None when neither is set."""
        value = self._config.get(f"workplace:{key}")
        if value is None or (isinstance(value, str) and not value.strip()):
            env = self._env_names.get(key)
            value = self._environ.get(env) if env else None
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return value.strip() if isinstance(value, str) else value

    def text(self, key: str) -> str | None:
        """A string value."""
        value = self.raw(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise SettingsError(f"{self._name(key)} must be a string")
        return value

    def integer(self, key: str, *, minimum: int | None = None) -> int | None:
        """A whole number, at least `minimum`."""
        value = self.raw(key)
        if value is None:
            return None
        try:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            number = int(value)
        except (TypeError, ValueError):
            raise SettingsError(f"{self._name(key)} must be a whole number") from None
        if minimum is not None and number < minimum:
            raise SettingsError(f"{self._name(key)} must be at least {minimum}")
        return number

    def number(self, key: str, *, minimum: float | None = None) -> float | None:
        """A finite number, at least `minimum`."""
        value = self.raw(key)
        if value is None:
            return None
        try:
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
        except (TypeError, ValueError):
            raise SettingsError(f"{self._name(key)} must be a number") from None
        if not math.isfinite(number):
            raise SettingsError(f"{self._name(key)} must be a finite number")
        if minimum is not None and number < minimum:
            raise SettingsError(f"{self._name(key)} must be at least {minimum:g}")
        return number

    def boolean(self, key: str) -> bool | None:
        """true/false (also 1/0, yes/no, on/off)."""
        value = self.raw(key)
        if value is None or isinstance(value, bool):
            return value
        lowered = str(value).strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise SettingsError(f"{self._name(key)} must be true or false")

    def string_list(self, key: str) -> list[str] | None:
        """A list: a config list, a JSON array, or comma-separated text."""
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, str) and value.startswith("["):
            value = self._json(key, value)
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise SettingsError(f"{self._name(key)} must be a list of strings")
        return [item.strip() for item in value if item.strip()]

    def string_map(self, key: str) -> dict[str, str] | None:
        """A mapping of strings: a config object or a JSON object."""
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, str):
            value = self._json(key, value)
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise SettingsError(f"{self._name(key)} must be an object of string values")
        return dict(value)

    def _json(self, key: str, text: str) -> Any:
        try:
            return json.loads(text)
        except ValueError:
            raise SettingsError(f"{self._name(key)} is not valid JSON") from None
