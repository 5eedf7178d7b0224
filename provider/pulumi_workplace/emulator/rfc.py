"""The RFC 7643 enterprise User extension, for the generic profile.

scim2-models' own `EnterpriseUser` marks `manager.value` and `manager.$ref` required, so it
refuses `{"manager": {"value": id}}`, the form RFC-style clients (and the Work Accounts guide)
send. The schema representation of RFC 7643 §8.7.2 makes both optional, as here. The class
names are the schema names /Schemas gives.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from scim2_models import URN, CaseExact, ComplexAttribute, Extension, Mutability, Reference, User

from pulumi_workplace.attributes import ENTERPRISE


class Manager(ComplexAttribute):
    """The user's manager: the id (`value`) and URI (`$ref`) of another User."""

    value: Annotated[str | None, CaseExact.true] = None
    # Reference[User]: a reference to a resource of the User type (RFC 7643 "referenceTypes").
    ref: Annotated[Reference[User] | None, CaseExact.true] = Field(  # type: ignore[type-arg]
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    display_name: Annotated[str | None, Mutability.read_only] = None


class EnterpriseUser(Extension):
    """`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User` as RFC 7643 §4.3 has it."""

    __schema__ = URN(ENTERPRISE)

    employee_number: str | None = None
    cost_center: str | None = None
    organization: str | None = None
    division: str | None = None
    department: str | None = None
    manager: Manager | None = None
