"""Workplace (Meta) / Meta Work Accounts user provisioning as Pulumi resources, over SCIM 2.0.

Public names are imported on first use, so `import pulumi_workplace.emulator` or the SCIM client
does not pull in the Pulumi SDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pulumi_workplace._version import __version__

if TYPE_CHECKING:
    from pulumi_workplace.resources.user import User, UserArgs

_LAZY = {
    "User": "pulumi_workplace.resources.user",
    "UserArgs": "pulumi_workplace.resources.user",
}

__all__ = ["User", "UserArgs", "__version__"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pulumi_workplace' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
