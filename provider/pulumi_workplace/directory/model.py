"""People and groups of a directory source, with Entra ID attribute names."""

from __future__ import annotations

from functools import cached_property

from pydantic import BaseModel, ConfigDict, field_validator

AttributeValue = str | bool | int | None
"""A source attribute value; empty means absent, as in Entra ID."""

UPN = "userPrincipalName"
ACCOUNT_ENABLED = "accountEnabled"
MANAGER = "manager"


def parse_bool(value: AttributeValue) -> bool | None:
    """`true`/`false` in any case (and real booleans) as a bool; None when empty."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text == "":
        return None
    if text in ("true", "false"):
        return text == "true"
    raise ValueError(f"{ACCOUNT_ENABLED} must be true or false, got {value!r}")


class Person(BaseModel):
    """One source user: its object id and its attributes under Entra ID names.

    Attribute names are matched case-insensitively (as Entra ID does) and kept as given.
    `userPrincipalName` is required; `accountEnabled` is normalised to a bool.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    attributes: dict[str, AttributeValue]

    @field_validator("id")
    @classmethod
    def _id_not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a person's id must not be empty")
        return value

    @field_validator("attributes")
    @classmethod
    def _check_attributes(cls, value: dict[str, AttributeValue]) -> dict[str, AttributeValue]:
        seen: dict[str, str] = {}
        cleaned: dict[str, AttributeValue] = {}
        for name, raw in value.items():
            lowered = name.lower()
            if not name.strip():
                raise ValueError("attribute names must not be empty")
            if lowered in seen:
                raise ValueError(f"attribute {name!r} is given twice (also as {seen[lowered]!r})")
            seen[lowered] = name
            cleaned[name] = parse_bool(raw) if lowered == ACCOUNT_ENABLED.lower() else raw
        upn = next((cleaned[n] for n in cleaned if n.lower() == UPN.lower()), None)
        if not isinstance(upn, str) or not upn.strip():
            raise ValueError(f"{UPN} is required")
        return cleaned

    @cached_property
    def _by_lower(self) -> dict[str, str]:
        # A cached property, not a pydantic private attribute: lookups are hot in mappings.
        return {name.lower(): name for name in self.attributes}

    def get(self, name: str, default: AttributeValue = None) -> AttributeValue:
        """The value of attribute `name` (any case); `default` when absent or empty."""
        key = self._by_lower.get(name.lower())
        value = self.attributes.get(key) if key is not None else None
        if value is None or value == "":
            return default
        return value

    def has(self, name: str) -> bool:
        """Whether attribute `name` has a non-empty value."""
        return self.get(name) is not None

    @property
    def user_principal_name(self) -> str:
        """The sign-in name, always present."""
        return str(self.get(UPN))

    @property
    def account_enabled(self) -> bool:
        """`accountEnabled`, True when absent (Entra's default for a new user)."""
        value = self.get(ACCOUNT_ENABLED)
        return True if value is None else bool(value)

    @property
    def manager_ref(self) -> str | None:
        """The manager's id or userPrincipalName, if any."""
        value = self.get(MANAGER)
        return None if value is None else str(value)

    def __str__(self) -> str:
        return self.user_principal_name


class Group(BaseModel):
    """A source group: direct members are person ids or group ids."""

    model_config = ConfigDict(frozen=True)

    id: str
    display_name: str
    member_ids: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.display_name
