"""The resources the emulator serves: Workplace's User (core User 2.0 plus the enterprise and
Facebook extensions), and the models and discovery documents of any profile (`build_provider`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal, Union, cast

from pydantic import Field
from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    ETag,
    Extension,
    External,
    Filter,
    Group,
    Mutability,
    Pagination,
    Patch,
    Reference,
    ResourceType,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    User,
)

from pulumi_workplace.attributes import (
    ACCOUNT_STATUS,
    AUTH_METHOD,
    ENTERPRISE,
    FRONTLINE,
    START_TERM_DATES,
)


class Manager(ComplexAttribute):
    """The manager reference: Workplace samples send `managerId`, Work Accounts sends `value`."""

    manager_id: Annotated[str | None, CaseExact.true] = None
    value: Annotated[str | None, CaseExact.true] = None
    # Workplace samples send displayName, so unlike RFC 7643 it is writable here.
    display_name: str | None = None
    ref: Annotated[Reference[External] | None, Mutability.read_only] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )


class EnterpriseUser(Extension):
    """`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User` with the Workplace manager."""

    __schema__ = URN(ENTERPRISE)

    employee_number: str | None = None
    cost_center: str | None = None
    organization: str | None = None
    division: str | None = None
    department: str | None = None
    manager: Manager | None = None


class StartTermDates(Extension):
    """Employment start and termination dates, in epoch seconds."""

    __schema__ = URN(START_TERM_DATES)

    start_date: int | None = None
    term_date: int | None = None


class AccountStatusDetails(Extension):
    """Invitation and claim state; the server manages everything but `invited`."""

    __schema__ = URN(ACCOUNT_STATUS)

    invited: bool | None = None
    invite_date: Annotated[int | None, Mutability.read_only] = None
    claimed: Annotated[bool | None, Mutability.read_only] = None
    claim_date: Annotated[int | None, Mutability.read_only] = None
    claim_link: Annotated[str | None, Mutability.read_only] = None
    access_code: Annotated[str | None, Mutability.read_only] = None


class AuthMethod(Extension):
    """Login method of the account."""

    __schema__ = URN(AUTH_METHOD)

    auth_method: Literal["password", "sso"] | None = None


class Frontline(Extension):
    """Frontline-worker flag; the attribute name keeps Workplace's snake case."""

    __schema__ = URN(FRONTLINE)

    is_frontline: bool | None = Field(None, alias="is_frontline")


EXTENSIONS: tuple[type[Extension], ...] = (
    EnterpriseUser,
    StartTermDates,
    AccountStatusDetails,
    AuthMethod,
    Frontline,
)

WorkplaceUser: type[User[Any]] = User[
    EnterpriseUser | StartTermDates | AccountStatusDetails | AuthMethod | Frontline
]
"""The composed model of a stored user."""

_BEARER = AuthenticationScheme(
    type=AuthenticationScheme.Type.oauthbearertoken,
    name="OAuth Bearer Token",
    description="The access token of a custom integration with the Manage Accounts permission",
)


def service_provider_config(default_page_size: int, max_page_size: int) -> ServiceProviderConfig:
    """Return what /ServiceProviderConfig announces, with the configured page sizes."""
    return ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=max_page_size),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=True),
        pagination=Pagination(
            index=True,
            cursor=False,
            default_page_size=default_page_size,
            max_page_size=max_page_size,
        ),
        authentication_schemes=[_BEARER],
    )


def user_model(extensions: Sequence[type[Extension]]) -> type[User[Any]]:
    """Return the composed User model with these extensions (`WorkplaceUser` for `EXTENSIONS`)."""
    union: Any = Union.__getitem__(tuple(extensions))  # A | B | ... of any length
    return cast("type[User[Any]]", cast(Any, User)[union])


def build_provider(
    default_page_size: int,
    max_page_size: int,
    *,
    extensions: Sequence[type[Extension]] = EXTENSIONS,
    groups: bool = False,
) -> ScimProvider:
    """Return the scim2 description of the service: the User type, its extensions and config.

    The User resource type comes first; with `groups`, the core Group type follows it.
    """
    resource_types = [ResourceType.from_resource(user_model(extensions))]
    models: list[type[Any]] = [User, *extensions]
    if groups:
        resource_types.append(ResourceType.from_resource(Group))
        models.append(Group)
    return ScimProvider(
        models=models,
        resource_types=resource_types,
        config=service_provider_config(default_page_size, max_page_size),
    )
