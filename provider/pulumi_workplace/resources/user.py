"""`pulumi_workplace.User`: one Workplace account as a Pulumi resource."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal

import pulumi

from pulumi_workplace.attributes import ATTRIBUTES
from pulumi_workplace.resources._base import WorkplaceDynamicResource
from pulumi_workplace.resources._user_provider import UserProvider

DeprovisionMode = Literal["deactivate", "delete", "retain"]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@dataclass
class UserArgs:
    """The desired state of one Workplace account. `None` leaves an attribute unmanaged."""

    user_name: pulumi.Input[str] | None = None
    external_id: pulumi.Input[str] | None = None
    display_name: pulumi.Input[str] | None = None
    formatted_name: pulumi.Input[str] | None = None
    given_name: pulumi.Input[str] | None = None
    family_name: pulumi.Input[str] | None = None
    middle_name: pulumi.Input[str] | None = None
    honorific_prefix: pulumi.Input[str] | None = None
    honorific_suffix: pulumi.Input[str] | None = None
    nick_name: pulumi.Input[str] | None = None
    title: pulumi.Input[str] | None = None
    user_type: pulumi.Input[str] | None = None
    profile_url: pulumi.Input[str] | None = None
    preferred_language: pulumi.Input[str] | None = None
    locale: pulumi.Input[str] | None = None
    timezone: pulumi.Input[str] | None = None
    active: pulumi.Input[bool] | None = True
    work_email: pulumi.Input[str] | None = None
    work_phone: pulumi.Input[str] | None = None
    mobile_phone: pulumi.Input[str] | None = None
    fax: pulumi.Input[str] | None = None
    work_address_formatted: pulumi.Input[str] | None = None
    street_address: pulumi.Input[str] | None = None
    locality: pulumi.Input[str] | None = None
    region: pulumi.Input[str] | None = None
    postal_code: pulumi.Input[str] | None = None
    country: pulumi.Input[str] | None = None
    other_address_formatted: pulumi.Input[str] | None = None
    employee_number: pulumi.Input[str] | None = None
    cost_center: pulumi.Input[str] | None = None
    organization: pulumi.Input[str] | None = None
    division: pulumi.Input[str] | None = None
    department: pulumi.Input[str] | None = None
    manager_id: pulumi.Input[str] | None = None
    """Workplace id of the manager, usually another `User`'s `id` (so it is created first)."""
    start_date: pulumi.Input[int] | None = None
    term_date: pulumi.Input[int] | None = None
    auth_method: pulumi.Input[str] | None = None
    is_frontline: pulumi.Input[bool] | None = None
    invited: pulumi.Input[bool] | None = None

    match_on: Sequence[str] = ("userName",)
    """Matching attributes in precedence order, used to adopt an existing account on create."""
    deprovision: DeprovisionMode = "deactivate"
    """What removing the resource does: deactivate, delete (never-claimed accounts only), retain."""
    clear: Sequence[str] = ()
    """Attributes (catalogue keys) to empty in Workplace, e.g. a mapped source that became empty."""
    create_only: Mapping[str, Any] | None = None
    """Values sent only on create (Entra's 'only during creation' mappings and defaults)."""

    def to_props(self) -> dict[str, Any]:
        props: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("match_on", "clear"):
                props[_camel(f.name)] = list(value)
            elif f.name == "create_only":
                props["createOnly"] = dict(value or {})
            elif f.name == "deprovision":
                props["deprovision"] = value
            elif value is not None:
                props[_camel(f.name)] = value
        return props


_ATTRIBUTE_FIELDS = {_snake(a.key) for a in ATTRIBUTES}
assert {f.name for f in fields(UserArgs)} >= _ATTRIBUTE_FIELDS, "UserArgs lacks a catalogue key"
_OUTPUT_KEYS = [a.key for a in ATTRIBUTES] + ["claimed", "adopted", "managed"]


class User(WorkplaceDynamicResource, module="workplace", name="User"):
    """A Workplace account. Create adopts an existing account found by the matching attributes;
    delete deactivates (by default); nothing ever replaces an account.

    Outputs: `id` (the Workplace id), every managed attribute as Workplace stored it (snake_case
    names, e.g. `user.department`), `active`, `claimed`, `invited`, `adopted`.
    """

    claimed: pulumi.Output[bool]
    adopted: pulumi.Output[bool]
    active: pulumi.Output[bool]
    invited: pulumi.Output[bool | None]
    user_name: pulumi.Output[str | None]

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
        props["stack"] = pulumi.get_stack()
        # Declared outputs must be present (as None) to appear on the resource object.
        for key in _OUTPUT_KEYS:
            props.setdefault(key, None)
        super().__init__(UserProvider(), resource_name, props, opts)

    def translate_output_property(self, prop: str) -> str:
        # Outputs are camelCase SCIM-style keys; Python attributes are snake_case.
        return prop if prop.startswith("_") else _snake(prop)
