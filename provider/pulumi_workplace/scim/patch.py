"""PATCH bodies (RFC 7644 §3.5.2) built from `compare.changed_paths`, and the PUT fallback body.

Only `replace` (plain or URN-qualified paths) and, for clears, `remove` are used. Multi-valued
attributes are replaced as a whole: Workplace's support for value-filter paths such as
`emails[type eq "work"].value` is unconfirmed.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from pulumi_workplace.scim.compare import changed_paths, normalise
from pulumi_workplace.scim.models import (
    MULTI_VALUED_PATHS,
    PATCH_OP_URN,
    USER_PATHS,
    Manager,
    ManagerShape,
    ScimObject,
    ScimUser,
)

__all__ = ["PatchOp", "PatchOperation", "build_patch", "merged_user"]


class PatchOperation(BaseModel):
    """One PATCH operation."""

    model_config = ConfigDict(extra="forbid")

    op: Literal["add", "remove", "replace"]
    path: str | None = None
    value: Any = None

    def to_wire(self) -> dict[str, Any]:
        """The operation as wire JSON; `remove` carries no value."""
        wire: dict[str, Any] = {"op": self.op}
        if self.path is not None:
            wire["path"] = self.path
        if self.op != "remove":
            wire["value"] = self.value
        return wire


class PatchOp(BaseModel):
    """A `urn:ietf:params:scim:api:messages:2.0:PatchOp` request body."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, extra="forbid")

    schemas: list[str] = Field(default_factory=lambda: [PATCH_OP_URN])
    operations: list[PatchOperation] = Field(
        min_length=1,
        validation_alias=AliasChoices("Operations", "operations"),
        serialization_alias="Operations",
    )

    @property
    def replace_only(self) -> bool:
        """True when every operation is a `replace`."""
        return all(operation.op == "replace" for operation in self.operations)

    @property
    def idempotent(self) -> bool:
        """True when sending the request twice leaves the same state as sending it once.

        `replace` and `remove` are; `add` appends to multi-valued attributes and is not.
        """
        return all(operation.op != "add" for operation in self.operations)

    @property
    def paths(self) -> list[str]:
        """The attribute paths touched, in order."""
        return [operation.path for operation in self.operations if operation.path is not None]

    def to_wire(self) -> dict[str, Any]:
        """The request body."""
        return {
            "schemas": list(self.schemas),
            "Operations": [operation.to_wire() for operation in self.operations],
        }


def _wire_value(value: Any, path: str, manager_shape: ManagerShape) -> Any:
    if path in MULTI_VALUED_PATHS:
        return [entry.wire() for entry in value]
    if isinstance(value, Manager):
        return value.to_wire(manager_shape)
    if isinstance(value, ScimObject):
        return value.wire()
    return value


def build_patch(
    before: ScimUser, after: ScimUser, *, manager_shape: ManagerShape = "managerId"
) -> PatchOp | None:
    """The minimal PATCH turning `before` into `after`, or None when nothing differs."""
    operations = []
    for path in changed_paths(before, after):
        if path in after.clear:
            operations.append(PatchOperation(op="remove", path=path))
        else:
            value = _wire_value(after.get_path(path), path, manager_shape)
            operations.append(PatchOperation(op="replace", path=path, value=value))
    return PatchOp(operations=operations) if operations else None


def merged_user(current: ScimUser, desired: ScimUser) -> ScimUser:
    """The full representation for a read-modify-write PUT.

    Starts from `current` (as read from the server, unknown attributes included), sets every
    attribute `desired` manages and empties every attribute `desired.clear` lists. The result
    carries the clear set so `to_wire(null_for_clears=True)` can send explicit nulls, which a
    merging PUT needs and a replacing PUT tolerates.
    """
    managed = normalise(desired)
    present = normalise(current)
    result = current
    # Only what the server holds is cleared: an explicit null for an attribute it does not
    # have changes nothing, and some servers refuse null for a multi-valued attribute.
    clear = frozenset(path for path in desired.clear if path in present)
    for path in USER_PATHS:
        if path in clear:
            result = result.with_path(path, None)
        elif path in managed:
            result = result.with_path(path, desired.get_path(path))
    return result.model_copy(update={"clear": clear})
