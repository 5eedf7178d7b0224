"""`pulumi_workplace.User`: one Workplace account as a Pulumi resource."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal

import pulumi

from pulumi_workplace.attributes import BY_FIELD, UserAttributes
from pulumi_workplace.resources._base import WorkplaceDynamicResource
from pulumi_workplace.resources._user_props import (
    ATTRIBUTES,
    OPTIONS,
    STATUS,
    pack_keys,
    unpack_keys,
)
from pulumi_workplace.resources._user_provider import UserProvider

DeprovisionMode = Literal["deactivate", "delete", "retain"]


@dataclass
class UserArgs(UserAttributes):
    """The desired state of one Workplace account. `None` leaves an attribute unmanaged.

    The attribute fields (`user_name` ... `invited`) are those of
    `pulumi_workplace.attributes.UserAttributes`, the catalogue; the options follow them.
    """

    match_on: Sequence[str] = ("userName",)
    """Matching attributes in precedence order, used to adopt an existing account on create."""
    deprovision: DeprovisionMode = "deactivate"
    """What removing the resource does: deactivate, delete (never-claimed accounts only), retain."""
    clear: Sequence[str] = ()
    """Attributes (catalogue keys) to empty in Workplace, e.g. a mapped source that became empty."""
    create_only: Mapping[str, Any] | None = None
    """Values sent only on create (Entra's 'only during creation' mappings and defaults)."""
    manager_user_name: str | None = None
    """The userName of a manager managed by another stack (a shard); its account id is looked
    up when this account is written, instead of `manager_id`."""
    account_id: str | None = None
    """Take over exactly this existing account on create (no search, never a POST): how
    `workplace:unmanagedAccounts: deactivate` deactivates an account that matches no person."""

    def to_props(self) -> dict[str, Any]:
        """The engine properties: `attributes` (set values only) and `options`."""
        attributes: dict[str, Any] = {}
        for name, attribute in BY_FIELD.items():
            value = getattr(self, name)
            if value is not None:
                attributes[attribute.key] = value
        options: dict[str, Any] = {
            "matchOn": list(self.match_on),
            "deprovision": self.deprovision,
            "clear": pack_keys(list(self.clear)),
            "createOnly": dict(self.create_only or {}),
        }
        if self.manager_user_name:
            options["managerUserName"] = self.manager_user_name
        if self.account_id:
            options["accountId"] = self.account_id
        return {ATTRIBUTES: attributes, OPTIONS: options}


class User(WorkplaceDynamicResource, module="workplace", name="User"):
    """A Workplace account. Create adopts an existing account found by the matching attributes;
    delete deactivates (by default); nothing ever replaces an account.

    Outputs: `id` (the Workplace id); `attributes`, the managed attributes as Workplace stored
    them (catalogue keys, e.g. `attributes["workEmail"]`), each also readable as a snake_case
    attribute (`user.department`, `user.work_email`; `None` when not managed); `status`, with
    `claimed`, `adopted` and `managed` (also `user.claimed`, `user.adopted`, `user.managed`;
    in state `managed` and `options["clear"]` are comma-separated strings); `options`.
    """

    attributes: pulumi.Output[dict[str, Any]]
    options: pulumi.Output[dict[str, Any]]
    status: pulumi.Output[dict[str, Any]]

    def __init__(
        self,
        resource_name: str,
        args: UserArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        if args is not None and kwargs:
            raise TypeError("pass either a UserArgs or keyword arguments, not both")
        if args is None:
            unknown = set(kwargs) - {f.name for f in fields(UserArgs)}
            if unknown:
                raise TypeError(f"User {resource_name!r}: unknown argument(s) {sorted(unknown)}")
            args = UserArgs(**kwargs)
        props = args.to_props()
        # Names the stack in the provisioning log; the provider process is not told it.
        props[OPTIONS]["stack"] = pulumi.get_stack()
        props[STATUS] = None  # output only; present so that `self.status` is resolved
        super().__init__(UserProvider(), resource_name, props, opts)

    def attribute(self, key: str) -> pulumi.Output[Any]:
        """One stored attribute by catalogue key (`"workEmail"`), `None` when not managed."""
        return self.attributes.apply(lambda stored: (stored or {}).get(key))

    @property
    def claimed(self) -> pulumi.Output[bool]:
        """Whether the person has claimed (activated) the account."""
        return self.status.apply(lambda status: bool((status or {}).get("claimed")))

    @property
    def managed(self) -> pulumi.Output[list[str]]:
        """The catalogue keys this resource manages (set or cleared)."""
        return self.status.apply(
            lambda status: list(unpack_keys((status or {}).get("managed")) or [])
        )

    @property
    def adopted(self) -> pulumi.Output[bool]:
        """Whether `create` found and adopted an existing account instead of creating one."""
        return self.status.apply(lambda status: bool((status or {}).get("adopted")))

    def __getattr__(self, name: str) -> Any:
        # Only called for names not found normally: snake_case catalogue attributes.
        attribute = BY_FIELD.get(name)
        if attribute is None or name.startswith("_"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return self.attribute(attribute.key)
