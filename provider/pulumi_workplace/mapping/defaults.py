"""Workplace's default mapping table and how overrides change it."""

from __future__ import annotations

from collections.abc import Iterable

from pulumi_workplace.attributes import REQUIRED_KEYS
from pulumi_workplace.mapping.checks import check_mappings
from pulumi_workplace.mapping.errors import MappingError
from pulumi_workplace.mapping.model import Mapping

# Entra ID's own default for SCIM apps: deactivate exactly when the user is soft-deleted,
# disabled or out of scope (IsSoftDeleted), and activate otherwise.
ACTIVE_EXPRESSION = 'Switch([IsSoftDeleted], , "False", "True", "True", "False")'


def default_mappings() -> list[Mapping]:
    """The Entra ID template for Workplace (provisioning-behaviour.md §7), usable as is.

    Matching: `userName` (precedence 1), then `externalId` (precedence 2). Where Microsoft
    never published the source, the plausible one is used: `locality` <- city, `region` <-
    state, `organization` <- companyName, `startDate` <- employeeHireDate (a date becomes
    Unix seconds), `workAddressFormatted` joins the address parts with commas (as Okta does).
    """
    address = 'Join(", ", [streetAddress], [city], [state], [postalCode], [country])'
    return [
        Mapping("userName", source="userPrincipalName", matching_precedence=1),
        Mapping("externalId", source="mailNickname", matching_precedence=2),
        Mapping("active", expression=ACTIVE_EXPRESSION),
        Mapping("displayName", source="displayName"),
        Mapping("title", source="jobTitle"),
        Mapping("workEmail", expression="Coalesce([mail], [userPrincipalName])"),
        Mapping("givenName", source="givenName"),
        Mapping("familyName", source="surname"),
        Mapping(
            "formattedName",
            # Workplace needs name.formatted on create, so never leave it empty.
            expression=(
                'Coalesce(Join(" ", [givenName], [surname]), [displayName], [userPrincipalName])'
            ),
        ),
        Mapping("streetAddress", source="streetAddress"),
        Mapping("locality", source="city"),
        Mapping("region", source="state"),
        Mapping("postalCode", source="postalCode"),
        Mapping("country", source="country"),
        Mapping("workAddressFormatted", expression=address),
        Mapping("otherAddressFormatted", source="physicalDeliveryOfficeName"),
        Mapping("workPhone", source="telephoneNumber"),
        Mapping("mobilePhone", source="mobile"),
        Mapping("fax", source="facsimileTelephoneNumber"),
        Mapping("preferredLanguage", source="preferredLanguage"),
        Mapping("department", source="department"),
        Mapping("division", source="division"),
        Mapping("organization", source="companyName"),
        Mapping("costCenter", source="costCenter"),
        Mapping("employeeNumber", source="employeeId"),
        Mapping("managerId", source="manager"),
        Mapping("startDate", source="employeeHireDate"),
    ]


def merge_mappings(defaults: Iterable[Mapping], overrides: Iterable[Mapping]) -> list[Mapping]:
    """`defaults` with each override replacing the mapping of the same target attribute.

    An override of type `none` without a default removes its target; removing a required
    target (`userName`) is an error. New targets are appended. The result is checked with
    `check_mappings`.
    """
    merged = {mapping.key: mapping for mapping in defaults}
    problems: list[str] = []
    seen: dict[str, Mapping] = {}
    for override in overrides:
        if override.key in seen:
            problems.append(
                f"mapping {override.label}: overridden twice (also as {seen[override.key].label})"
            )
            continue
        seen[override.key] = override
        if override.removes:
            if override.key in REQUIRED_KEYS:
                problems.append(
                    f"mapping {override.label}: {override.key} is required by Workplace; its "
                    "mapping can be changed but not removed"
                )
            merged.pop(override.key, None)
        else:
            merged[override.key] = override
    if problems:
        raise MappingError(problems)
    result = list(merged.values())
    check_mappings(result)
    return result
