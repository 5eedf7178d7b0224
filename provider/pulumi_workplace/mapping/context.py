"""What an expression can see while it is evaluated for one person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pulumi_workplace.directory.model import Person
from pulumi_workplace.mapping.values import Value

# Source attributes Entra ID provides besides the user's own properties.
OBJECT_ID = "objectId"
IS_SOFT_DELETED = "IsSoftDeleted"
APP_ROLE_ASSIGNMENTS = "appRoleAssignments"


@dataclass
class Context:
    """The person, its role, whether it is being deactivated, and the run's clock."""

    person: Person
    role: str | None
    soft_deleted: bool
    now: dt.datetime
    redacted: bool = False
    """Set when `Redact` was used: the value must be hidden in previews and logs."""

    def attribute(self, name: str) -> Value:
        """A source attribute (any case), including Entra ID's virtual ones."""
        lowered = name.lower()
        if lowered == APP_ROLE_ASSIGNMENTS.lower():
            return [self.role] if self.role else None
        if lowered == IS_SOFT_DELETED.lower() and not self.person.has(name):
            return self.soft_deleted
        if lowered == OBJECT_ID.lower() and not self.person.has(name):
            return self.person.id
        return self.person.get(name)
