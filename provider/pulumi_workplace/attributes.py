"""The catalogue of Workplace user attributes the project manages.

One `UserAttributes` field per attribute. The field name is the `User` keyword (`work_email`);
its camelCase form is the key in `User` attributes, Pulumi state and previews (`workEmail`; flat,
so a preview names exactly what changes); the annotation gives the value type; `_attribute(...)`
gives the SCIM path on the wire and the other names it goes by (Entra ID's Workplace target
names with 1.0 URNs, and RFC filter paths). Mappings, `UserArgs` (a subclass), `User` and the
wire conversion all read it, so an attribute is added in one place;
tests/test_catalogue_agreement.py fails until the SCIM client and the emulator declare its path.
"""

# The `UserAttributes` defaults are `_attribute(...)` calls, which return a `dataclasses.field`
# with an immutable default; RUF009 (function call in a dataclass default) cannot tell.
# ruff: noqa: RUF009

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    # For the annotations only: the emulator and the planner import this module without the SDK.
    from pulumi import Input

AttributeType = Literal["string", "boolean", "integer"]

# The SCIM schema URNs, defined here only: the SCIM client and the emulator import them.
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
START_TERM_DATES = "urn:ietf:params:scim:schemas:extension:facebook:starttermdates:2.0:User"
ACCOUNT_STATUS = "urn:ietf:params:scim:schemas:extension:facebook:accountstatusdetails:2.0:User"
AUTH_METHOD = "urn:ietf:params:scim:schemas:extension:facebook:authmethod:2.0:User"
# Workplace only ever published the frontline extension under this 1.0 URN.
FRONTLINE = "urn:scim:schemas:extension:facebook:frontline:1.0"

# The SCIM 1.0 URNs of the same schemas (lower case). Entra's Workplace targets and older
# payloads use them: read and translated, never written.
CORE_V1 = "urn:scim:schemas:core:1.0"
ENTERPRISE_V1 = "urn:scim:schemas:extension:enterprise:1.0"
START_TERM_DATES_V1 = "urn:scim:schemas:extension:facebook:starttermdates:1.0"
ACCOUNT_STATUS_V1 = "urn:scim:schemas:extension:facebook:accountstatusdetails:1.0"
AUTH_METHOD_V1 = "urn:scim:schemas:extension:facebook:auth_method:1.0"

AUTH_METHODS = ("password", "sso")


@dataclass(frozen=True)
class Attribute:
    """One managed Workplace user attribute."""

    key: str
    """Key in `User` inputs and outputs, e.g. `department`."""
    scim_path: str
    """Canonical SCIM 2.0 path, e.g. `urn:...:enterprise:2.0:User:department`."""
    type: AttributeType = "string"
    aliases: tuple[str, ...] = ()
    """Other target names accepted in mappings (Entra's names, 1.0 URNs)."""
    description: str = ""

    @property
    def schema(self) -> str:
        """The URN of the schema that defines this attribute (core unless the path names one)."""
        head, sep, _ = self.scim_path.rpartition(":")
        return head if sep and self.scim_path.startswith("urn:") else CORE

    @property
    def schema_attribute(self) -> tuple[str, str | None]:
        """(attribute, sub-attribute) as the schema names them: `("emails", "value")`,
        `("name", "formatted")`, `("department", None)`."""
        path = (
            self.scim_path.rpartition(":")[2]
            if self.scim_path.startswith("urn:")
            else (self.scim_path)
        )
        path = re.sub(r"\[[^\]]*\]", "", path)
        name, _, sub = path.partition(".")
        if name == "manager":
            return name, "value"
        return name, sub or None


_ROW = "pulumi_workplace.attribute"
"""The `dataclasses.field` metadata key holding a row's (scim_path, aliases, description)."""


def _attribute(
    scim_path: str,
    *,
    aliases: tuple[str, ...] = (),
    description: str = "",
    default: bool | None = None,
) -> Any:
    """One catalogue row as a `UserAttributes` field; `default` is the `User` input's default."""
    # Typed Any so that the field's annotation, not this helper, is what type checkers see.
    return field(default=default, metadata={_ROW: (scim_path, aliases, description)})


def _ent(name: str) -> tuple[str, ...]:
    return (f"{ENTERPRISE_V1}.{name}", f"{ENTERPRISE_V1}:{name}", f"{ENTERPRISE}.{name}")


@dataclass
class UserAttributes:
    """The catalogue as `User` inputs, one field per attribute. `UserArgs` extends it."""

    user_name: Input[str] | None = _attribute(
        "userName", description="Unique sign-in name; the e-mail on Workplace"
    )
    external_id: Input[str] | None = _attribute(
        "externalId", description="Identifier from the source directory"
    )
    display_name: Input[str] | None = _attribute("displayName")
    formatted_name: Input[str] | None = _attribute("name.formatted", description="Full name")
    given_name: Input[str] | None = _attribute("name.givenName")
    family_name: Input[str] | None = _attribute("name.familyName")
    middle_name: Input[str] | None = _attribute("name.middleName")
    honorific_prefix: Input[str] | None = _attribute("name.honorificPrefix")
    honorific_suffix: Input[str] | None = _attribute("name.honorificSuffix")
    nick_name: Input[str] | None = _attribute("nickName")
    title: Input[str] | None = _attribute("title", description="Job title")
    user_type: Input[str] | None = _attribute("userType")
    profile_url: Input[str] | None = _attribute("profileUrl")
    preferred_language: Input[str] | None = _attribute("preferredLanguage")
    locale: Input[str] | None = _attribute("locale")
    timezone: Input[str] | None = _attribute("timezone")
    active: Input[bool] | None = _attribute(
        "active", description="False = deactivated", default=True
    )
    work_email: Input[str] | None = _attribute(
        'emails[type eq "work"].value', aliases=("emails.work",)
    )
    work_phone: Input[str] | None = _attribute('phoneNumbers[type eq "work"].value')
    mobile_phone: Input[str] | None = _attribute('phoneNumbers[type eq "mobile"].value')
    fax: Input[str] | None = _attribute('phoneNumbers[type eq "fax"].value')
    work_address_formatted: Input[str] | None = _attribute('addresses[type eq "work"].formatted')
    street_address: Input[str] | None = _attribute('addresses[type eq "work"].streetAddress')
    locality: Input[str] | None = _attribute('addresses[type eq "work"].locality')
    region: Input[str] | None = _attribute('addresses[type eq "work"].region')
    postal_code: Input[str] | None = _attribute('addresses[type eq "work"].postalCode')
    country: Input[str] | None = _attribute('addresses[type eq "work"].country')
    other_address_formatted: Input[str] | None = _attribute('addresses[type eq "other"].formatted')
    employee_number: Input[str] | None = _attribute(
        f"{ENTERPRISE}:employeeNumber", aliases=_ent("employeeNumber")
    )
    cost_center: Input[str] | None = _attribute(
        f"{ENTERPRISE}:costCenter", aliases=_ent("costCenter")
    )
    organization: Input[str] | None = _attribute(
        f"{ENTERPRISE}:organization", aliases=_ent("organization")
    )
    division: Input[str] | None = _attribute(f"{ENTERPRISE}:division", aliases=_ent("division"))
    department: Input[str] | None = _attribute(
        f"{ENTERPRISE}:department", aliases=_ent("department")
    )
    manager_id: Input[str] | None = _attribute(
        f"{ENTERPRISE}:manager", aliases=_ent("manager"), description="Workplace id of the manager"
    )
    """Workplace id of the manager, usually another `User`'s `id` (so it is created first)."""
    start_date: Input[int] | None = _attribute(
        f"{START_TERM_DATES}:startDate",
        aliases=(f"{START_TERM_DATES_V1}.startDate", f"{START_TERM_DATES_V1}:startDate"),
        description="Employment start, Unix epoch seconds",
    )
    term_date: Input[int] | None = _attribute(
        f"{START_TERM_DATES}:termDate",
        aliases=(f"{START_TERM_DATES_V1}.termDate", f"{START_TERM_DATES_V1}:termDate"),
        description="Employment end, Unix epoch seconds",
    )
    auth_method: Input[str] | None = _attribute(
        f"{AUTH_METHOD}:authMethod",
        aliases=(f"{AUTH_METHOD_V1}:auth_method", f"{AUTH_METHOD_V1}.auth_method"),
        description="`password` or `sso`",
    )
    is_frontline: Input[bool] | None = _attribute(
        f"{FRONTLINE}:is_frontline", aliases=(f"{FRONTLINE}.is_frontline",)
    )
    invited: Input[bool] | None = _attribute(
        f"{ACCOUNT_STATUS}:invited", description="Whether Workplace sends the invitation"
    )


# A field's annotation (text, as `from __future__ import annotations` leaves it) -> its type.
_TYPES: dict[str, AttributeType] = {
    "Input[str] | None": "string",
    "Input[bool] | None": "boolean",
    "Input[int] | None": "integer",
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def _catalogue() -> dict[str, Attribute]:
    rows: dict[str, Attribute] = {}
    for row in fields(UserAttributes):
        key = _camel(row.name)
        # Mapping targets resolve to keys and `Provisioning` sets `UserArgs` fields by the
        # snake_case of the key, so the two spellings must convert into each other.
        if _snake(key) != row.name:
            raise TypeError(f"UserAttributes.{row.name}: key {key!r} does not convert back")
        if row.type not in _TYPES:
            raise TypeError(f"UserAttributes.{row.name}: annotate with one of {sorted(_TYPES)}")
        scim_path, aliases, description = row.metadata[_ROW]
        rows[row.name] = Attribute(key, scim_path, _TYPES[str(row.type)], aliases, description)
    return rows


BY_FIELD: dict[str, Attribute] = _catalogue()
"""`UserAttributes` field name (the `User` keyword, e.g. `work_email`) -> attribute."""

ATTRIBUTES: tuple[Attribute, ...] = tuple(BY_FIELD.values())

BY_KEY: dict[str, Attribute] = {a.key: a for a in ATTRIBUTES}

# Entra requires these on every account; Workplace's create needs userName and name.formatted.
REQUIRED_KEYS: tuple[str, ...] = ("userName",)

# Attributes usable as matching attributes (the target must support filtering on them).
MATCHABLE_KEYS: tuple[str, ...] = ("userName", "externalId")


def resolve_target(name: str) -> Attribute:
    """The attribute a mapping target names: a key, a SCIM path or an alias (case-insensitive)."""
    wanted = name.strip()
    lowered = wanted.lower()
    for attribute in ATTRIBUTES:
        names = (attribute.key, attribute.scim_path, *attribute.aliases)
        if any(lowered == n.lower() for n in names):
            return attribute
    known = ", ".join(a.key for a in ATTRIBUTES)
    raise KeyError(f"unknown Workplace attribute {name!r}; known attributes: {known}")
