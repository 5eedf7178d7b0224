"""The catalogue of Workplace user attributes the project manages.

One row per attribute: the key used in `User` inputs, Pulumi state and previews (camelCase and
flat, so a preview names exactly what changes), the SCIM path on the wire, its type, and the other
names it goes by (Entra ID's Workplace target names with 1.0 URNs, and RFC filter paths).
Mappings, the `User` resource and the wire conversion all read this table, so an attribute is
added in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

AttributeType = Literal["string", "boolean", "integer"]

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
START_TERM_DATES = "urn:ietf:params:scim:schemas:extension:facebook:starttermdates:2.0:User"
ACCOUNT_STATUS = "urn:ietf:params:scim:schemas:extension:facebook:accountstatusdetails:2.0:User"
AUTH_METHOD = "urn:ietf:params:scim:schemas:extension:facebook:authmethod:2.0:User"
FRONTLINE = "urn:scim:schemas:extension:facebook:frontline:1.0"

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


def _ent(name: str) -> tuple[str, ...]:
    return (
        f"urn:scim:schemas:extension:enterprise:1.0.{name}",
        f"urn:scim:schemas:extension:enterprise:1.0:{name}",
        f"{ENTERPRISE}.{name}",
    )


ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute("userName", "userName", description="Unique sign-in name; the e-mail on Workplace"),
    Attribute("externalId", "externalId", description="Identifier from the source directory"),
    Attribute("displayName", "displayName"),
    Attribute("formattedName", "name.formatted", description="Full name"),
    Attribute("givenName", "name.givenName"),
    Attribute("familyName", "name.familyName"),
    Attribute("middleName", "name.middleName"),
    Attribute("honorificPrefix", "name.honorificPrefix"),
    Attribute("honorificSuffix", "name.honorificSuffix"),
    Attribute("nickName", "nickName"),
    Attribute("title", "title", description="Job title"),
    Attribute("userType", "userType"),
    Attribute("profileUrl", "profileUrl"),
    Attribute("preferredLanguage", "preferredLanguage"),
    Attribute("locale", "locale"),
    Attribute("timezone", "timezone"),
    Attribute("active", "active", "boolean", description="False = deactivated"),
    Attribute("workEmail", 'emails[type eq "work"].value', aliases=("emails.work",)),
    Attribute("workPhone", 'phoneNumbers[type eq "work"].value'),
    Attribute("mobilePhone", 'phoneNumbers[type eq "mobile"].value'),
    Attribute("fax", 'phoneNumbers[type eq "fax"].value'),
    Attribute("workAddressFormatted", 'addresses[type eq "work"].formatted'),
    Attribute("streetAddress", 'addresses[type eq "work"].streetAddress'),
    Attribute("locality", 'addresses[type eq "work"].locality'),
    Attribute("region", 'addresses[type eq "work"].region'),
    Attribute("postalCode", 'addresses[type eq "work"].postalCode'),
    Attribute("country", 'addresses[type eq "work"].country'),
    Attribute("otherAddressFormatted", 'addresses[type eq "other"].formatted'),
    Attribute("employeeNumber", f"{ENTERPRISE}:employeeNumber", aliases=_ent("employeeNumber")),
    Attribute("costCenter", f"{ENTERPRISE}:costCenter", aliases=_ent("costCenter")),
    Attribute("organization", f"{ENTERPRISE}:organization", aliases=_ent("organization")),
    Attribute("division", f"{ENTERPRISE}:division", aliases=_ent("division")),
    Attribute("department", f"{ENTERPRISE}:department", aliases=_ent("department")),
    Attribute(
        "managerId",
        f"{ENTERPRISE}:manager",
        aliases=_ent("manager"),
        description="Workplace id of the manager",
    ),
    Attribute(
        "startDate",
        f"{START_TERM_DATES}:startDate",
        "integer",
        aliases=(
            "urn:scim:schemas:extension:facebook:starttermdates:1.0.startDate",
            "urn:scim:schemas:extension:facebook:starttermdates:1.0:startDate",
        ),
        description="Employment start, Unix epoch seconds",
    ),
    Attribute(
        "termDate",
        f"{START_TERM_DATES}:termDate",
        "integer",
        aliases=(
            "urn:scim:schemas:extension:facebook:starttermdates:1.0.termDate",
            "urn:scim:schemas:extension:facebook:starttermdates:1.0:termDate",
        ),
        description="Employment end, Unix epoch seconds",
    ),
    Attribute(
        "authMethod",
        f"{AUTH_METHOD}:authMethod",
        aliases=(
            "urn:scim:schemas:extension:facebook:auth_method:1.0:auth_method",
            "urn:scim:schemas:extension:facebook:auth_method:1.0.auth_method",
        ),
        description="`password` or `sso`",
    ),
    Attribute(
        "isFrontline",
        f"{FRONTLINE}:is_frontline",
        "boolean",
        aliases=("urn:scim:schemas:extension:facebook:frontline:1.0.is_frontline",),
    ),
    Attribute(
        "invited",
        f"{ACCOUNT_STATUS}:invited",
        "boolean",
        description="Whether Workplace sends the invitation",
    ),
)

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
