"""Workplace's default mapping table and how overrides change it."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from pulumi_workplace.attributes import REQUIRED_KEYS
from pulumi_workplace.mapping.checks import check_mappings
from pulumi_workplace.mapping.errors import MappingError
from pulumi_workplace.mapping.model import Mapping
from pulumi_workplace.profiles import PROFILES, Profile

# Entra ID's own default for SCIM apps: deactivate exactly when the user is soft-deleted,
# disabled or out of scope (IsSoftDeleted), and activate otherwise.
ACTIVE_EXPRESSION = 'Switch([IsSoftDeleted], , "False", "True", "True", "False")'


def default_mappings(profile: Profile | str = "workplace") -> list[Mapping]:
    """The default mappings of a target profile (`workplace:profile`).

    `workplace` is the whole Entra ID template below; another profile keeps the mappings whose
    target is in one of its schemas, and matches only on attributes its server filters on.
    """
    chosen = PROFILES[profile] if isinstance(profile, str) else profile
    kept = []
    for mapping in _entra_template():
        if mapping.attribute.schema not in chosen.schemas:
            continue
        if mapping.matching_precedence is not None and mapping.key not in chosen.filterable:
            mapping = mapping.model_copy(update={"matching_precedence": None})
        kept.append(mapping)
    return kept


def _entra_template() -> list[Mapping]:
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


@dataclass(frozen=True)
class ServerFit:
    """The mappings a server can store: what was kept, and what was left out or refused."""

    mappings: list[Mapping]
    left_out: list[str]
    """Keys of default mappings left out because the server's schema lacks their target."""
    refused: list[str]
    """Problems: configured mappings whose target the server's schema lacks."""


def fit_to_server(
    defaults: Iterable[Mapping],
    overrides: Iterable[tuple[str, Mapping]],
    lacking: Collection[str],
) -> ServerFit:
    """Merge `overrides` (each with the label of its setting) into `defaults` for a server
    whose schema lacks the catalogue keys in `lacking`.

    A default mapping of a lacking key is left out (the server cannot store it); a configured
    one is refused, naming its setting, because the user asked for something that cannot be
    written.
    """
    overrides = list(overrides)
    configured = {mapping.key for _, mapping in overrides}
    kept_defaults = []
    left_out = []
    for mapping in defaults:
        if mapping.key in lacking and mapping.key not in configured:
            left_out.append(mapping.key)
        else:
            kept_defaults.append(mapping)
    refused = [
        f"{label} ({mapping.key}): the server's schema has no "
        f"{mapping.attribute.scim_path}; map it with type none or remove it"
        for label, mapping in overrides
        if mapping.key in lacking and not mapping.removes
    ]
    merged = merge_mappings(kept_defaults, [mapping for _, mapping in overrides])
    return ServerFit(merged, left_out, refused)
