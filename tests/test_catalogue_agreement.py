"""The catalogue, the SCIM client's models and the emulator's schema name the same attributes.

An attribute is added as one field of `UserAttributes` in `pulumi_workplace/attributes.py`. Its
SCIM path must then exist in the client's models (`scim/models.py`: a model field, and the path
in `_PATHS`) and in the emulator's schema (`emulator/schema.py`, or scim2-models' core User).
These tests fail naming the attribute and the file that lacks it; an extension attribute the
catalogue does not manage must be listed in `NOT_IN_CATALOGUE` with the reason.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import BaseModel

from pulumi_workplace.attributes import ACCOUNT_STATUS, ATTRIBUTES, CORE, Attribute
from pulumi_workplace.emulator.schema import WorkplaceUser, build_provider
from pulumi_workplace.resources._user_wire import observed_values, to_scim_user
from pulumi_workplace.scim.models import (
    MULTI_VALUED_PATHS,
    USER_PATHS,
    Manager,
    ScimUser,
    canonical_path,
)

# Extension attributes the client and the emulator declare but the catalogue does not manage.
NOT_IN_CATALOGUE: dict[tuple[str, str], str] = {
    (ACCOUNT_STATUS, "inviteDate"): "server-managed: when Workplace sent the invitation",
    (ACCOUNT_STATUS, "claimed"): "server-managed; read for `User.status.claimed`, never written",
    (ACCOUNT_STATUS, "claimDate"): "server-managed: when the person claimed the account",
    (ACCOUNT_STATUS, "claimLink"): "server-managed: the link in the invitation",
    (ACCOUNT_STATUS, "accessCode"): "server-managed: the code in the invitation",
}

# Writable client paths (`USER_PATHS`) that no catalogue attribute uses.
CLIENT_ONLY_PATHS: dict[str, str] = {
    "photos": "the client compares and writes photos as a whole; no mapping manages them",
}

# Catalogue attributes whose value is the id inside a complex SCIM attribute.
ID_IN_COMPLEX: dict[str, str] = {
    "managerId": "the manager's id, sent as enterprise `manager.managerId` or `manager.value`",
}

# RFC 7643 section 3.1: in every resource, so no schema lists it.
COMMON_ATTRIBUTES = frozenset({"externalId"})

_SCIM_TYPES = {"string": {"string", "reference"}, "boolean": {"boolean"}, "integer": {"integer"}}
_SAMPLES: dict[str, Any] = {"string": "sample", "boolean": True, "integer": 1700000000}
_FILTERED = re.compile(r'^(?P<name>\w+)\[type eq "(?P<type>\w+)"\]\.(?P<sub>\w+)$')

PROVIDER = build_provider(default_page_size=10, max_page_size=100)
EMULATOR_SCHEMAS = {schema.id: schema for schema in PROVIDER.schemas}
EMULATOR_EXTENSIONS = {
    extension.schema_ for rt in PROVIDER.resource_types for extension in rt.schema_extensions
}


@dataclass(frozen=True)
class Path:
    """A catalogue SCIM path taken apart."""

    schema: str
    name: str
    sub: str | None = None
    type_filter: str | None = None


def _parse(scim_path: str) -> Path:
    schema, name = CORE, scim_path
    if scim_path.startswith("urn:"):
        schema, _, name = scim_path.rpartition(":")
    filtered = _FILTERED.match(name)
    if filtered:
        return Path(schema, filtered["name"], filtered["sub"], filtered["type"])
    name, _, sub = name.partition(".")
    return Path(schema, name, sub or None)


CATALOGUE_EXTENSIONS = {_parse(a.scim_path).schema for a in ATTRIBUTES} - {CORE}


def _by_key(attributes: tuple[Attribute, ...]) -> Any:
    return pytest.mark.parametrize("attribute", attributes, ids=[a.key for a in attributes])


def _wire_names(model: type[BaseModel]) -> dict[str, str]:
    """Wire name -> field name of a pydantic model."""
    return {
        (info.serialization_alias or info.alias or name): name
        for name, info in model.model_fields.items()
    }


def _model_of(annotation: Any) -> type[BaseModel]:
    """The model in `X | None` or `list[X] | None`."""
    for candidate in typing.get_args(annotation) or (annotation,):
        if typing.get_origin(candidate) is list:
            candidate = typing.get_args(candidate)[0]
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    raise TypeError(f"no model in {annotation!r}")


def _client_extensions() -> dict[str, type[BaseModel]]:
    """Extension URN -> the client's model of that extension."""
    fields = ScimUser.model_fields
    return {
        wire: _model_of(fields[name].annotation)
        for wire, name in _wire_names(ScimUser).items()
        if wire.startswith("urn:")
    }


def _emulator_attributes(schema: str) -> dict[str, Any]:
    return {a.name: a for a in EMULATOR_SCHEMAS[schema].attributes or ()}


# --- the schema URNs -------------------------------------------------------------------------


def test_the_client_and_the_emulator_have_the_catalogues_extensions():
    client = set(_client_extensions())
    assert client == CATALOGUE_EXTENSIONS, "scim/models.py: ScimUser's extension fields"
    assert EMULATOR_EXTENSIONS == CATALOGUE_EXTENSIONS, "emulator/schema.py: EXTENSIONS"
    assert set(EMULATOR_SCHEMAS) >= {CORE, *CATALOGUE_EXTENSIONS}


# --- every catalogue attribute in the emulator's schema ---------------------------------------


@_by_key(ATTRIBUTES)
def test_the_emulator_declares_every_catalogue_attribute(attribute: Attribute):
    path = _parse(attribute.scim_path)
    where = f"{attribute.key} ({attribute.scim_path})"
    if path.name in COMMON_ATTRIBUTES:
        assert path.name in _wire_names(WorkplaceUser), f"{where}: not on the emulator's User"
        return
    declared = _emulator_attributes(path.schema)
    schema_name = EMULATOR_SCHEMAS[path.schema].name
    assert path.name in declared, f"{where}: no {path.name!r} in emulator/schema.py {schema_name}"
    leaf = declared[path.name]
    if path.type_filter is not None:
        assert leaf.multi_valued, f"{where}: the emulator's {path.name!r} is not multi-valued"
        types_ = {s.name: s for s in leaf.sub_attributes or ()}["type"]
        assert path.type_filter in (types_.canonical_values or ()), where
    if path.sub is not None:
        subs = {s.name: s for s in leaf.sub_attributes or ()}
        assert path.sub in subs, f"{where}: the emulator's {path.name!r} has no {path.sub!r}"
        leaf = subs[path.sub]
    if attribute.key in ID_IN_COMPLEX:
        ids = {s.name: s.type.value for s in leaf.sub_attributes or ()}
        assert ids.get("managerId") == ids.get("value") == "string", where
        return
    assert leaf.type.value in _SCIM_TYPES[attribute.type], f"{where}: emulator type {leaf.type}"


# --- every catalogue attribute in the client's models -----------------------------------------


@_by_key(ATTRIBUTES)
def test_the_client_writes_and_reads_every_catalogue_attribute(attribute: Attribute):
    """The path leads to a model field that `to_wire` puts where the path says, and back."""
    path = _parse(attribute.scim_path)
    where = f"{attribute.key} ({attribute.scim_path})"
    sample = _SAMPLES[attribute.type]
    if path.type_filter is not None:
        assert path.name in USER_PATHS and path.name in MULTI_VALUED_PATHS, where
        item_model = _model_of(ScimUser.model_fields[_wire_names(ScimUser)[path.name]].annotation)
        item_fields = _wire_names(item_model)
        assert path.sub in item_fields, f"{where}: scim/models.py {item_model.__name__}"
        item = item_model(type=path.type_filter, **{item_fields[path.sub]: sample})
        wire = ScimUser().with_path(path.name, [item]).to_wire()
        assert wire[path.name] == [{"type": path.type_filter, path.sub: sample}], where
        (read,) = ScimUser.from_wire(wire).get_path(path.name)
        assert getattr(read, item_fields[path.sub]) == sample, where
        return

    assert attribute.scim_path in USER_PATHS, f"{where}: not in _PATHS of scim/models.py"
    assert canonical_path(attribute.scim_path) == attribute.scim_path, where
    value: Any = Manager(value="1") if attribute.key in ID_IN_COMPLEX else sample
    wire = ScimUser().with_path(attribute.scim_path, value).to_wire()
    node = wire if path.schema == CORE else wire.get(path.schema, {})
    node = node.get(path.name)
    if path.sub is not None:
        node = (node or {}).get(path.sub)
    expected = {"managerId": "1"} if attribute.key in ID_IN_COMPLEX else sample
    assert node == expected, f"{where}: to_wire wrote {wire}"
    read = ScimUser.from_wire(wire).get_path(attribute.scim_path)
    assert read == value and type(read) is type(value), f"{where}: read back as {read!r}"


@_by_key(ATTRIBUTES)
def test_the_user_wire_conversion_carries_every_catalogue_attribute(attribute: Attribute):
    """`resources/_user_wire.py` turns the key into the SCIM user and back."""
    sample = _SAMPLES[attribute.type]
    user = ScimUser.from_wire(to_scim_user({attribute.key: sample}).to_wire())
    assert observed_values(user, [attribute.key]) == {attribute.key: sample}


# --- nothing in the client or the emulator that the catalogue lacks ---------------------------


def _catalogue_names(schema: str) -> set[str]:
    return {p.name for p in map(_parse, (a.scim_path for a in ATTRIBUTES)) if p.schema == schema}


@pytest.mark.parametrize("schema", sorted(CATALOGUE_EXTENSIONS))
def test_no_extension_attribute_outside_the_catalogue(schema: str):
    intentional = {name for urn, name in NOT_IN_CATALOGUE if urn == schema}
    known = _catalogue_names(schema) | intentional
    client = set(_wire_names(_client_extensions()[schema]))
    emulator = set(_emulator_attributes(schema))
    assert client - known == set(), f"scim/models.py declares them in {schema}"
    assert emulator - known == set(), f"emulator/schema.py declares them in {schema}"
    # A stale entry in NOT_IN_CATALOGUE would hide nothing; keep the list exact.
    assert intentional <= client & emulator, "NOT_IN_CATALOGUE names what neither declares"


def test_what_the_catalogue_leaves_out_is_read_only_in_the_emulator():
    for schema, name in NOT_IN_CATALOGUE:
        assert _emulator_attributes(schema)[name].mutability.value == "readOnly", name


def test_no_writable_client_path_outside_the_catalogue():
    used = set()
    for attribute in ATTRIBUTES:
        path = _parse(attribute.scim_path)
        used.add(path.name if path.type_filter else attribute.scim_path)
    assert set(USER_PATHS) - used == set(CLIENT_ONLY_PATHS)


def test_helpers_parse_the_catalogue_paths():
    assert _parse('addresses[type eq "work"].postalCode') == Path(
        CORE, "addresses", "postalCode", "work"
    )
    assert _parse("name.givenName") == Path(CORE, "name", "givenName")
    assert _parse(f"{ACCOUNT_STATUS}:invited") == Path(ACCOUNT_STATUS, "invited")
