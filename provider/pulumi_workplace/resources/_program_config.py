"""Stack config as seen by the Pulumi program, in the shape `settings` readers expect."""

from __future__ import annotations

import json
from typing import Any

import pulumi.runtime


def stack_config_keys() -> list[str]:
    """Every key of the program's stack config (all namespaces)."""
    from pulumi.runtime import config as runtime_config

    return sorted({*runtime_config.CONFIG.get(), *runtime_config.get_config_env()})


class ProgramConfig:
    """`get("workplace:<key>")` over the program's stack config, secrets decrypted.

    The raw runtime config is used rather than `pulumi.Config.get`, which warns on every read
    of a secret; values are only ever passed to code that keeps them out of messages.
    """

    def get(self, key: str, /) -> Any:
        raw = pulumi.runtime.get_config(key)
        if raw is None:
            return None
        if isinstance(raw, str) and raw[:1] in "[{":
            try:
                return json.loads(raw)
            except ValueError:
                return raw
        return raw
