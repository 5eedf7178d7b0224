"""Pydantic models of the Workplace SCIM 2.0 user: tolerant on read, exact on write.

The shapes follow RFC 7643 (core User, enterprise extension) plus Meta's Facebook extensions,
in the style of `scim2-models` (snake_case fields, camelCase wire aliases, extension objects as
fields keyed by their URN). They are written here rather than taken from `scim2-models` because
that package is an optional extra, validates e-mail values strictly, and has no room for the
1.0 URNs, the `managerId` manager shape or Meta's extensions.

Reading (`ScimUser.from_wire`) accepts attribute names in any case, 1.0 URNs, numeric ids,
ISO-8601 or epoch dates, and keeps unknown attributes and extensions. Writing
(`ScimUser.to_wire`) emits canonical 2.0 URNs, a `schemas` list naming exactly the extensions
present, and no read-only attribute.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

# The schema URNs are the catalogue's; exported under the names the client has always used.
from pulumi_workplace.attributes import ACCOUNT_STATUS as ACCOUNT_STATUS_URN
from pulumi_workplace.attributes import (
    ACCOUNT_STATUS_V1,
    AUTH_METHOD_V1,
    CORE_V1,
    ENTERPRISE_V1,
    START_TERM_DATES_V1,
)
from pulumi_workplace.attributes import AUTH_METHOD as AUTH_METHOD_URN
from pulumi_workplace.attributes import CORE as CORE_URN
from pulumi_workplace.attributes import ENTERPRISE as ENTERPRISE_URN
from pulumi_workplace.attributes import FRONTLINE as FRONTLINE_URN
from pulumi_workplace.attributes import START_TERM_DATES as START_TERM_DATES_URN

__all__ = [
    "ACCOUNT_STATUS_URN",
    "AUTH_METHOD_URN",
    "CORE_URN",
    "ENTERPRISE_URN",
    "ERROR_URN",
    "FRONTLINE_URN",
    "LIST_RESPONSE_URN",
    "MULTI_VALUED_PATHS",
    "PATCH_OP_URN",
    "START_TERM_DATES_URN",
    "USER_PATHS",
    "AccountStatusDetails",
    "Address",
    "AuthMethod",
    "Email",
    "EnterpriseUser",
    "Frontline",
    "GroupRef",
    "Manager",
    "ManagerShape",
    "Meta",
    "Name",
    "PhoneNumber",
    "Photo",
    "ScimObject",
    "ScimUser",
    "StartTermDates",
    "canonical_path",
]

PATCH_OP_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST_RESPONSE_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"

_CORE_URNS = frozenset({CORE_URN.lower(), CORE_V1})

# Extension keys accepted on read (lower-cased) -> canonical 2.0 key.
_EXTENSION_SYNONYMS: dict[str, str] = {
    ENTERPRISE_URN.lower(): ENTERPRISE_URN,
    ENTERPRISE_V1: ENTERPRISE_URN,
    START_TERM_DATES_URN.lower(): START_TERM_DATES_URN,
    START_TERM_DATES_V1: START_TERM_DATES_URN,
    ACCOUNT_STATUS_URN.lower(): ACCOUNT_STATUS_URN,
    ACCOUNT_STATUS_V1: ACCOUNT_STATUS_URN,
    AUTH_METHOD_URN.lower(): AUTH_METHOD_URN,
    AUTH_METHOD_V1: AUTH_METHOD_URN,
    FRONTLINE_URN.lower(): FRONTLINE_URN,
    # Spellings only this reader accepts, so not in the catalogue: the 1.0 URN without the
    # underscore, and a hypothetical 2.0 frontline URN, so a future server answer is not lost.
    "urn:scim:schemas:extension:facebook:authmethod:1.0": AUTH_METHOD_URN,
    "urn:ietf:params:scim:schemas:extension:facebook:frontline:2.0:user": FRONTLINE_URN,
}

ManagerShape = Literal["managerId", "value"]


def _to_epoch(value: Any) -> Any:
    """Coerce epoch seconds given as int, float, numeric string or ISO-8601 text to int."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return int(moment.timestamp())
    if isinstance(value, date):
        return int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp())
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return int(float(text)) if "." in text else int(text)
        except ValueError:
            pass
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"not epoch seconds nor an ISO-8601 date: {value!r}") from exc
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp())
    return value


def _to_id(value: Any) -> Any:
    """Accept ids given as JSON numbers; Workplace ids are numeric but strings in SCIM."""
    if isinstance(value, bool):
        raise ValueError("an id cannot be a boolean")
    if isinstance(value, int):
        return str(value)
    return value


EpochSeconds = Annotated[int, BeforeValidator(_to_epoch)]
"""Unix epoch seconds; reads ISO-8601 text and numeric strings too."""

ScimId = Annotated[str, BeforeValidator(_to_id)]
"""A resource id; reads JSON numbers too."""


def _wire_name(name: str, field: FieldInfo) -> str:
    """The attribute name a field has on the wire."""
    return field.serialization_alias or field.alias or name


def _extension(urn: str) -> Any:
    # validation/serialization aliases rather than `alias`: type checkers then keep the
    # Python field name as the constructor keyword.
    return Field(default=None, validation_alias=urn, serialization_alias=urn)


def _lower_str(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


class ScimObject(BaseModel):
    """Base of the wire models: camelCase aliases, case-insensitive attribute names on read."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="allow",
        coerce_numbers_to_str=True,
    )

    # Extra spellings accepted on read, lower-cased, mapped to the wire alias.
    _synonyms: ClassVar[dict[str, str]] = {}

    @classmethod
    def _key_map(cls) -> dict[str, str]:
        keys = {
            _wire_name(name, field).lower(): _wire_name(name, field)
            for name, field in cls.model_fields.items()
        }
        keys.update(cls._synonyms)
        return keys

    @classmethod
    def _canonical_keys(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """Rename attributes to their canonical alias; an exact spelling wins over a variant."""
        key_map = cls._key_map()
        names = set(cls.model_fields)
        out: dict[str, Any] = {}
        variants: list[tuple[str, Any]] = []
        for key, value in data.items():
            canonical = key_map.get(key.lower(), key) if isinstance(key, str) else key
            if canonical == key or key in names:
                out[key] = value
            else:
                variants.append((canonical, value))
        for canonical, value in variants:
            current = out.get(canonical)
            # E.g. a 1.0 extension object next to its 2.0 one: the canonical spelling's
            # values win and the variant fills the gaps.
            if isinstance(current, Mapping) and isinstance(value, Mapping):
                out[canonical] = {**value, **current}
            else:
                out.setdefault(canonical, value)
        return out

    @classmethod
    def _prepare(cls, data: dict[str, Any]) -> dict[str, Any]:
        return data

    @model_validator(mode="before")
    @classmethod
    def _tolerant_keys(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            return cls._prepare(cls._canonical_keys(data))
        return data

    def wire(self) -> dict[str, Any]:
        """This object as wire JSON, without unset (None) attributes."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Name(ScimObject):
    """The components of the user's real name."""

    formatted: str | None = None
    family_name: str | None = None
    given_name: str | None = None
    middle_name: str | None = None
    honorific_prefix: str | None = None
    honorific_suffix: str | None = None


class _MultiValued(ScimObject):
    value: str | None = None
    type: str | None = None
    primary: bool | None = None
    display: str | None = None


class Email(_MultiValued):
    """One `emails` entry; `type` is usually `work`."""


class PhoneNumber(_MultiValued):
    """One `phoneNumbers` entry; types `work`, `home`, `mobile`, `fax`."""


class Photo(_MultiValued):
    """One `photos` entry; `value` is a URL, `type` usually `profile`."""


class Address(ScimObject):
    """One `addresses` entry; types `work`, `other`."""

    type: str | None = None
    primary: bool | None = None
    formatted: str | None = None
    street_address: str | None = None
    locality: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None


class GroupRef(ScimObject):
    """A read-only `groups` entry (Workplace People Sets)."""

    value: ScimId | None = None
    ref: str | None = Field(default=None, validation_alias="$ref", serialization_alias="$ref")
    display: str | None = None
    type: str | None = None


class Meta(ScimObject):
    """Read-only resource metadata."""

    resource_type: str | None = None
    created: str | None = None
    last_modified: str | None = None
    location: str | None = None
    version: str | None = None


class Manager(ScimObject):
    """The user's manager, by the manager's SCIM id.

    Read from either `{"managerId": ...}` (Workplace, also spelt `managerID`) or
    `{"value": ...}` (RFC 7643, Work Accounts); written in the shape the client is set to.
    `display_name` and `ref` are server-provided and never written.
    """

    value: ScimId | None = None
    display_name: str | None = None
    ref: str | None = Field(default=None, validation_alias="$ref", serialization_alias="$ref")

    @model_validator(mode="before")
    @classmethod
    def _from_bare_id(cls, data: Any) -> Any:
        # Some 1.0-era payloads give the manager as a bare id.
        if isinstance(data, str | int) and not isinstance(data, bool):
            return {"value": str(data)}
        return data

    @classmethod
    def _prepare(cls, data: dict[str, Any]) -> dict[str, Any]:
        manager_id = None
        for key in [k for k in data if isinstance(k, str) and k.lower() == "managerid"]:
            manager_id = data.pop(key)
        if data.get("value") is None and manager_id is not None:
            data["value"] = manager_id
        return data

    def to_wire(self, shape: ManagerShape) -> dict[str, Any]:
        """The manager reference in the given wire shape; empty when no id is set."""
        if self.value is None:
            return {}
        return {"managerId" if shape == "managerId" else "value": self.value}


class EnterpriseUser(ScimObject):
    """`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`."""

    employee_number: str | None = None
    cost_center: str | None = None
    organization: str | None = None
    division: str | None = None
    department: str | None = None
    manager: Manager | None = None


class StartTermDates(ScimObject):
    """Facebook `starttermdates` extension: employment dates in epoch seconds."""

    start_date: EpochSeconds | None = None
    term_date: EpochSeconds | None = None


class AccountStatusDetails(ScimObject):
    """Facebook `accountstatusdetails` extension; server-managed except `invited`."""

    invited: bool | None = None
    invite_date: EpochSeconds | None = None
    claimed: bool | None = None
    claim_date: EpochSeconds | None = None
    claim_link: str | None = None
    access_code: str | None = None


class AuthMethod(ScimObject):
    """Facebook `authmethod` extension: `password` or `sso` (1.0 spelling `auth_method`)."""

    _synonyms: ClassVar[dict[str, str]] = {"auth_method": "authMethod"}

    auth_method: Annotated[str | None, BeforeValidator(_lower_str)] = None


class Frontline(ScimObject):
    """Facebook `frontline` 1.0 extension."""

    _synonyms: ClassVar[dict[str, str]] = {"isfrontline": "is_frontline"}

    is_frontline: bool | None = Field(
        default=None, validation_alias="is_frontline", serialization_alias="is_frontline"
    )


# SCIM attribute path -> chain of model field names. The single list of attributes that
# comparison, PATCH building and clears know about; read-only attributes are absent on purpose.
_PATHS: dict[str, tuple[str, ...]] = {
    "externalId": ("external_id",),
    "userName": ("user_name",),
    "name.formatted": ("name", "formatted"),
    "name.givenName": ("name", "given_name"),
    "name.familyName": ("name", "family_name"),
    "name.middleName": ("name", "middle_name"),
    "name.honorificPrefix": ("name", "honorific_prefix"),
    "name.honorificSuffix": ("name", "honorific_suffix"),
    "displayName": ("display_name",),
    "nickName": ("nick_name",),
    "title": ("title",),
    "profileUrl": ("profile_url",),
    "userType": ("user_type",),
    "preferredLanguage": ("preferred_language",),
    "locale": ("locale",),
    "timezone": ("timezone",),
    "active": ("active",),
    "emails": ("emails",),
    "phoneNumbers": ("phone_numbers",),
    "addresses": ("addresses",),
    "photos": ("photos",),
    f"{ENTERPRISE_URN}:employeeNumber": ("enterprise", "employee_number"),
    f"{ENTERPRISE_URN}:costCenter": ("enterprise", "cost_center"),
    f"{ENTERPRISE_URN}:organization": ("enterprise", "organization"),
    f"{ENTERPRISE_URN}:division": ("enterprise", "division"),
    f"{ENTERPRISE_URN}:department": ("enterprise", "department"),
    f"{ENTERPRISE_URN}:manager": ("enterprise", "manager"),
    f"{START_TERM_DATES_URN}:startDate": ("start_term_dates", "start_date"),
    f"{START_TERM_DATES_URN}:termDate": ("start_term_dates", "term_date"),
    f"{ACCOUNT_STATUS_URN}:invited": ("account_status", "invited"),
    f"{AUTH_METHOD_URN}:authMethod": ("auth_method", "auth_method"),
    f"{FRONTLINE_URN}:is_frontline": ("frontline", "is_frontline"),
}

USER_PATHS: tuple[str, ...] = tuple(_PATHS)
"""Every writable SCIM attribute path of `ScimUser`, in canonical spelling."""

MULTI_VALUED_PATHS = frozenset({"emails", "phoneNumbers", "addresses", "photos"})
"""Paths of multi-valued attributes; these are compared and replaced as a whole."""

_PATHS_BY_LOWER = {path.lower(): path for path in _PATHS}


def canonical_path(path: str) -> str:
    """Return the canonical spelling of a writable attribute path (names are case-insensitive).

    Raises ValueError for a path `ScimUser` does not manage.
    """
    canonical = _PATHS_BY_LOWER.get(path.strip().lower())
    if canonical is None:
        raise ValueError(f"unknown or read-only SCIM attribute path: {path!r}")
    return canonical


def _split_path(path: str) -> tuple[str | None, str]:
    """Split a canonical path into (extension URN or None, attribute within it)."""
    if path.startswith("urn:"):
        urn, _, attribute = path.rpartition(":")
        return urn, attribute
    return None, path


# Field name of each extension -> canonical URN.
_EXTENSION_FIELDS: dict[str, str] = {
    "enterprise": ENTERPRISE_URN,
    "start_term_dates": START_TERM_DATES_URN,
    "account_status": ACCOUNT_STATUS_URN,
    "auth_method": AUTH_METHOD_URN,
    "frontline": FRONTLINE_URN,
}
_READ_ONLY_FIELDS = frozenset({"id", "meta", "groups"})
_LOCAL_FIELDS = frozenset({"extra_attributes", "clear"})


class ScimUser(ScimObject):
    """A Workplace user (RFC 7643 core User plus enterprise and Facebook extensions).

    `clear` names attribute paths (see `USER_PATHS`) that the desired state wants emptied;
    elsewhere a None attribute means "not managed, leave alone". `extra_attributes` keeps
    attributes and extension objects this model does not know, so a read-modify-write PUT
    does not drop them. Neither field is a wire attribute.
    """

    model_config = ConfigDict(extra="forbid")

    id: ScimId | None = None
    external_id: ScimId | None = None
    user_name: str | None = None
    name: Name | None = None
    display_name: str | None = None
    nick_name: str | None = None
    title: str | None = None
    profile_url: str | None = None
    user_type: str | None = None
    preferred_language: str | None = None
    locale: str | None = None
    timezone: str | None = None
    active: bool | None = None
    emails: list[Email] | None = None
    phone_numbers: list[PhoneNumber] | None = None
    addresses: list[Address] | None = None
    photos: list[Photo] | None = None
    groups: list[GroupRef] | None = None
    meta: Meta | None = None
    enterprise: EnterpriseUser | None = _extension(ENTERPRISE_URN)
    start_term_dates: StartTermDates | None = _extension(START_TERM_DATES_URN)
    account_status: AccountStatusDetails | None = _extension(ACCOUNT_STATUS_URN)
    auth_method: AuthMethod | None = _extension(AUTH_METHOD_URN)
    frontline: Frontline | None = _extension(FRONTLINE_URN)
    extra_attributes: dict[str, Any] = Field(default_factory=dict, exclude=True)
    clear: frozenset[str] = Field(default_factory=frozenset, exclude=True)

    @classmethod
    def _key_map(cls) -> dict[str, str]:
        keys = super()._key_map()
        keys.update(_EXTENSION_SYNONYMS)
        return keys

    @classmethod
    def _prepare(cls, data: dict[str, Any]) -> dict[str, Any]:
        # Attributes qualified by the core URN (RFC 7644 §3.10) are plain core attributes.
        for key in [k for k in data if isinstance(k, str) and k.lower() in _CORE_URNS]:
            nested = data.pop(key)
            if isinstance(nested, Mapping):
                for attribute, value in cls._canonical_keys(nested).items():
                    data.setdefault(attribute, value)
        return data

    @field_validator("clear", mode="before")
    @classmethod
    def _canonical_clear(cls, value: Any) -> Any:
        if value is None:
            return frozenset()
        if isinstance(value, str):
            value = [value]
        if isinstance(value, Iterable):
            return frozenset(canonical_path(str(path)) for path in value)
        return value

    @model_validator(mode="after")
    def _clear_is_consistent(self) -> Self:
        for path in self.clear:
            if self.get_path(path) is not None:
                raise ValueError(f"{path} is both set and listed in clear")
        return self

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> ScimUser:
        """Read a user as the server sent it; unknown attributes land in `extra_attributes`."""
        if not isinstance(data, Mapping):
            raise TypeError(f"a SCIM user must be a JSON object, not {type(data).__name__}")
        raw = {k: v for k, v in data.items() if not (isinstance(k, str) and k.lower() == "schemas")}
        canonical = cls._prepare(cls._canonical_keys(raw))
        wire_names = {
            _wire_name(name, field)
            for name, field in cls.model_fields.items()
            if name not in _LOCAL_FIELDS
        }
        known = {k: v for k, v in canonical.items() if k in wire_names}
        extras = {k: v for k, v in canonical.items() if k not in wire_names}
        return cls.model_validate({**known, "extra_attributes": extras})

    def get_path(self, path: str) -> Any:
        """The model value at a writable attribute path, or None when unset."""
        current: Any = self
        for name in _PATHS[canonical_path(path)]:
            current = getattr(current, name, None)
            if current is None:
                return None
        return current

    def with_path(self, path: str, value: Any) -> ScimUser:
        """A copy with the attribute at `path` set to `value` (None unsets it)."""
        chain = _PATHS[canonical_path(path)]
        updated = self._set_chain(self, chain, value)
        assert isinstance(updated, ScimUser)
        return updated

    @classmethod
    def _set_chain(cls, model: Any, chain: tuple[str, ...], value: Any) -> Any:
        head, rest = chain[0], chain[1:]
        if not rest:
            return model.model_copy(update={head: value})
        child = getattr(model, head)
        if child is None:
            if value is None:
                return model
            child = type(model).model_fields[head].annotation
            child = _optional_model_type(child)()
        return model.model_copy(update={head: cls._set_chain(child, rest, value)})

    def to_wire(
        self, manager_shape: ManagerShape = "managerId", *, null_for_clears: bool = False
    ) -> dict[str, Any]:
        """The user as a create/replace body.

        Emits canonical 2.0 URNs, a `schemas` list naming exactly the extensions present,
        no None values and no read-only attribute. With `null_for_clears`, attributes in
        `clear` are sent as explicit nulls so a merging PUT empties them too.
        """
        schemas = [CORE_URN]
        body: dict[str, Any] = {"schemas": schemas}
        exclude = set(_READ_ONLY_FIELDS | _LOCAL_FIELDS | set(_EXTENSION_FIELDS))
        body.update(self.model_dump(mode="json", by_alias=True, exclude_none=True, exclude=exclude))
        for field_name, urn in _EXTENSION_FIELDS.items():
            extension = getattr(self, field_name)
            if extension is None:
                continue
            wire = self._extension_wire(field_name, extension, manager_shape)
            if wire:
                body[urn] = wire
                schemas.append(urn)
        # Unknown attributes and extensions came from the server: echo them back unchanged so
        # a replacing PUT does not erase what this model cannot represent.
        for key, value in self.extra_attributes.items():
            if key in body:
                continue
            body[key] = value
            if key.lower().startswith("urn:") and isinstance(value, Mapping):
                schemas.append(key)
        if null_for_clears:
            for path in sorted(self.clear):
                self._put_null(body, path)
        return body

    @staticmethod
    def _extension_wire(
        field_name: str, extension: ScimObject, manager_shape: ManagerShape
    ) -> dict[str, Any]:
        if field_name == "account_status":
            # Only `invited` is writable; dates, claim state, links and codes are the server's.
            invited = getattr(extension, "invited", None)
            return {} if invited is None else {"invited": invited}
        wire = extension.wire()
        if isinstance(extension, EnterpriseUser):
            wire.pop("manager", None)
            if extension.manager is not None:
                manager = extension.manager.to_wire(manager_shape)
                if manager:
                    wire["manager"] = manager
        return wire

    @staticmethod
    def _put_null(body: dict[str, Any], path: str) -> None:
        urn, attribute = _split_path(path)
        if urn is not None:
            target = body.setdefault(urn, {})
            if urn not in body["schemas"]:
                body["schemas"].append(urn)
        else:
            target = body
        parent, _, leaf = attribute.rpartition(".")
        if parent:
            target = target.setdefault(parent, {})
        target[leaf] = None


def _optional_model_type(annotation: Any) -> type[ScimObject]:
    """The ScimObject subclass inside an `X | None` annotation."""
    for candidate in getattr(annotation, "__args__", (annotation,)):
        if isinstance(candidate, type) and issubclass(candidate, ScimObject):
            return candidate
    raise TypeError(f"not a model annotation: {annotation!r}")
