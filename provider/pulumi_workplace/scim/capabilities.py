"""What a SCIM server says it can do, read from its discovery endpoints (RFC 7644 §4).

`ServerCapabilities.read` takes the ServiceProviderConfig, the /Schemas list and the
/ResourceTypes list (each may be None: Meta Work Accounts serves none of them) and answers two
questions the provider asks: does the server take PATCH, and which catalogue attributes does
its User schema lack.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from pulumi_workplace.attributes import ATTRIBUTES, CORE, Attribute

__all__ = ["ServerCapabilities"]

_USER_RESOURCE = "User"
# RFC 7643 §3.1: common attributes of every resource, which schema definitions do not list.
_COMMON = frozenset({"id", "externalid", "meta"})


def _attribute_names(definition: Mapping[str, Any]) -> frozenset[tuple[str, str | None]]:
    """(attribute, sub-attribute) pairs a schema definition declares, lower-cased."""
    names: set[tuple[str, str | None]] = set()
    for attribute in definition.get("attributes") or ():
        if not isinstance(attribute, Mapping) or not isinstance(attribute.get("name"), str):
            continue
        name = attribute["name"].lower()
        names.add((name, None))
        for sub in attribute.get("subAttributes") or ():
            if isinstance(sub, Mapping) and isinstance(sub.get("name"), str):
                names.add((name, sub["name"].lower()))
    return frozenset(names)


def _user_schemas(resource_types: Sequence[Mapping[str, Any]] | None) -> frozenset[str] | None:
    """Schema URNs the User resource type uses (its schema and extensions), lower-cased."""
    if not resource_types:
        return None
    for resource in resource_types:
        if resource.get("name") == _USER_RESOURCE or resource.get("endpoint") == "/Users":
            urns = {str(resource.get("schema") or "").lower()}
            for extension in resource.get("schemaExtensions") or ():
                if isinstance(extension, Mapping) and extension.get("schema"):
                    urns.add(str(extension["schema"]).lower())
            return frozenset(urn for urn in urns if urn)
    return None


class ServerCapabilities(BaseModel):
    """The server's answers; None everywhere the server did not say."""

    model_config = ConfigDict(frozen=True)

    supports_patch: bool | None = None
    schemas: dict[str, frozenset[tuple[str, str | None]]] | None = None
    """Schema URN (lower case) -> declared (attribute, sub-attribute) pairs, from /Schemas."""
    user_schemas: frozenset[str] | None = None
    """Schema URNs (lower case) of the User resource type, from /ResourceTypes."""
    served: tuple[str, ...] = ()
    """Which discovery endpoints answered, for the preview's note."""

    @classmethod
    def read(
        cls,
        config: Mapping[str, Any] | None,
        schemas: Iterable[Mapping[str, Any]] | None,
        resource_types: Sequence[Mapping[str, Any]] | None,
    ) -> ServerCapabilities:
        """Interpret the three discovery documents; any of them may be missing."""
        patch = config.get("patch") if config else None
        supported = patch.get("supported") if isinstance(patch, Mapping) else None
        by_urn = None
        if schemas is not None:
            by_urn = {
                str(item["id"]).lower(): _attribute_names(item)
                for item in schemas
                if isinstance(item, Mapping) and item.get("id")
            }
        served = tuple(
            name
            for name, answer in (
                ("ServiceProviderConfig", config),
                ("Schemas", schemas),
                ("ResourceTypes", resource_types),
            )
            if answer is not None
        )
        return cls(
            supports_patch=supported if isinstance(supported, bool) else None,
            schemas=by_urn or None,
            user_schemas=_user_schemas(resource_types),
            served=served,
        )

    def lacks(self, attribute: Attribute) -> bool:
        """True when the server's discovery says it cannot store `attribute`.

        Without /Schemas nothing is known, so nothing is lacking. An extension the User
        resource type does not list, or a schema /Schemas does not define, lacks all of its
        attributes; otherwise the attribute (and its sub-attribute, where the schema lists
        sub-attributes) must be declared.
        """
        urn = attribute.schema.lower()
        if self.user_schemas is not None and urn not in self.user_schemas:
            return True
        if self.schemas is None:
            return False
        declared = self.schemas.get(urn)
        if declared is None:
            # Some servers list only the core schema's attributes; an absent core is unknown.
            return urn != CORE.lower()
        name, sub = attribute.schema_attribute
        name = name.lower()
        if urn == CORE.lower() and name in _COMMON:
            return False
        if (name, None) not in declared:
            return True
        if sub is None:
            return False
        subs = {s for n, s in declared if n == name and s is not None}
        return bool(subs) and sub.lower() not in subs

    def lacking_keys(self, attributes: Iterable[Attribute] = ATTRIBUTES) -> frozenset[str]:
        """Catalogue keys of `attributes` that the server cannot store."""
        return frozenset(attribute.key for attribute in attributes if self.lacks(attribute))
