"""Workplace (Meta) / Meta Work Accounts user provisioning as Pulumi resources, over SCIM 2.0.

Public names are imported on first use, so `import pulumi_workplace.emulator` or the SCIM client
does not pull in the Pulumi SDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pulumi_workplace._version import __version__

if TYPE_CHECKING:
    from pulumi_workplace.assignments import Assignment
    from pulumi_workplace.directory import Directory, Group, Person
    from pulumi_workplace.mapping import (
        Mapping,
        ScopingClause,
        ScopingFilter,
        default_mappings,
        merge_mappings,
    )
    from pulumi_workplace.planning import ProvisioningPlan, plan_provisioning
    from pulumi_workplace.resources.provisioning import Provisioning
    from pulumi_workplace.resources.user import User, UserArgs
    from pulumi_workplace.scim import ScimClient, ScimUser
    from pulumi_workplace.settings import ConnectionSettings

_LAZY = {
    "Assignment": "pulumi_workplace.assignments",
    "ConnectionSettings": "pulumi_workplace.settings",
    "Directory": "pulumi_workplace.directory",
    "Group": "pulumi_workplace.directory",
    "Mapping": "pulumi_workplace.mapping",
    "Person": "pulumi_workplace.directory",
    "Provisioning": "pulumi_workplace.resources.provisioning",
    "ProvisioningPlan": "pulumi_workplace.planning",
    "ScimClient": "pulumi_workplace.scim",
    "ScimUser": "pulumi_workplace.scim",
    "ScopingClause": "pulumi_workplace.mapping",
    "ScopingFilter": "pulumi_workplace.mapping",
    "User": "pulumi_workplace.resources.user",
    "UserArgs": "pulumi_workplace.resources.user",
    "default_mappings": "pulumi_workplace.mapping",
    "merge_mappings": "pulumi_workplace.mapping",
    "plan_provisioning": "pulumi_workplace.planning",
}

__all__ = [
    "Assignment",
    "ConnectionSettings",
    "Directory",
    "Group",
    "Mapping",
    "Person",
    "Provisioning",
    "ProvisioningPlan",
    "ScimClient",
    "ScimUser",
    "ScopingClause",
    "ScopingFilter",
    "User",
    "UserArgs",
    "__version__",
    "default_mappings",
    "merge_mappings",
    "plan_provisioning",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pulumi_workplace' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
