"""Apply the mappings to one person: the desired Workplace account."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pulumi_workplace.attributes import REQUIRED_KEYS, Attribute
from pulumi_workplace.directory.model import Person
from pulumi_workplace.mapping.checks import check_mappings
from pulumi_workplace.mapping.context import Context
from pulumi_workplace.mapping.conversion import ConversionError, TargetValue, convert
from pulumi_workplace.mapping.errors import MappingError
from pulumi_workplace.mapping.expression import Expression
from pulumi_workplace.mapping.model import MANAGER_KEY, Mapping
from pulumi_workplace.mapping.values import EvaluationError, SkipFlow, Value


class MappedAccount(BaseModel):
    """One person's desired Workplace account, keyed by catalogue keys.

    - `attributes`: written on create and on every update (apply `always`); None means
      "clear it" (the source is empty and the mapping has `clear_when_empty`).
    - `create_only`: written only on create: `on_create` mappings and `default` values
      (a default applies only when the mapping gives nothing, so its key is then absent
      from `attributes`).
    - `match_on`: matching attribute keys with a value, in matching precedence order.
    - `manager_ref`: what the `managerId` mapping gave (the manager's id or
      userPrincipalName in the source). The Pulumi component resolves it to the manager's
      Workplace id; `attributes` has `managerId` only as None, to clear it.
    - `redacted`: keys whose values came through `Redact`: hide them in previews and logs.
    """

    model_config = ConfigDict(frozen=True)

    attributes: dict[str, TargetValue] = Field(default_factory=dict)
    create_only: dict[str, TargetValue] = Field(default_factory=dict)
    match_on: list[str] = Field(default_factory=list)
    manager_ref: str | None = None
    redacted: list[str] = Field(default_factory=list)

    def value(self, key: str) -> TargetValue:
        """The value an account created now would get for `key`."""
        if key in self.attributes:
            return self.attributes[key]
        return self.create_only.get(key)

    @property
    def values(self) -> dict[str, TargetValue]:
        """`attributes` that have a value (those to write)."""
        return {k: v for k, v in self.attributes.items() if v is not None}

    @property
    def clear(self) -> list[str]:
        """Keys of `attributes` to empty in Workplace (the source became empty)."""
        return [k for k, v in self.attributes.items() if v is None]

    def on_create(self) -> dict[str, TargetValue]:
        """Everything written when the account is created."""
        return {**self.attributes, **self.create_only}


def person_label(person: Person) -> str:
    """How messages name a person: the userPrincipalName, and the id when it differs."""
    upn = person.user_principal_name
    return f"person {upn}" if person.id == upn else f"person {upn} (id {person.id})"


class MappingSet:
    """Mappings checked together (`check_mappings`) and prepared to evaluate many people.

    `evaluate_mappings` accepts a plain list too; build a `MappingSet` once when mapping a
    whole directory.
    """

    def __init__(self, mappings: Iterable[Mapping]) -> None:
        self.mappings = tuple(mappings)
        check_mappings(self.mappings)
        self._entries = tuple(_Entry.of(m) for m in self.mappings)
        matching = sorted(
            (m for m in self.mappings if m.matching_precedence is not None),
            key=lambda m: m.matching_precedence or 0,
        )
        self.matching_keys = tuple(m.key for m in matching)
        """Matching attribute keys, in precedence order."""

    def __iter__(self) -> Iterator[Mapping]:
        return iter(self.mappings)

    def __len__(self) -> int:
        return len(self.mappings)


@dataclass(frozen=True, slots=True)
class _Entry:
    """One mapping with everything evaluation needs read out once (pydantic access is slow)."""

    mapping: Mapping
    key: str
    attribute: Attribute
    label: str
    kind: str
    compiled: Expression | None
    default: TargetValue
    always: bool
    clear: bool

    @classmethod
    def of(cls, mapping: Mapping) -> _Entry:
        attribute = mapping.attribute
        default = None if mapping.default is None else convert(mapping.default, attribute)
        return cls(
            mapping=mapping,
            key=attribute.key,
            attribute=attribute,
            label=mapping.label,
            kind=mapping.type,
            compiled=mapping.compiled,
            default=default,
            always=mapping.apply == "always",
            clear=mapping.clear_when_empty,
        )

    def raw_value(self, context: Context) -> Value | Any:
        """The mapping's value before conversion to the target type."""
        if self.kind == "direct":
            return context.attribute(str(self.mapping.source))
        if self.kind == "constant":
            return self.mapping.constant
        if self.compiled is not None:
            return self.compiled.evaluate(context)
        function = self.mapping.expression
        assert callable(function)
        return function(context.person)


def evaluate_mappings(
    person: Person,
    mappings: Sequence[Mapping] | MappingSet,
    *,
    role: str | None = None,
    soft_deleted: bool | None = None,
    now: dt.datetime | None = None,
) -> MappedAccount:
    """The account `mappings` give `person`; `MappingError` naming the person otherwise.

    `role` feeds `SingleAppRoleAssignment`; `soft_deleted` feeds `[IsSoftDeleted]` (default:
    the person is disabled); `now` is the clock `Now()` reads (default: the current time).
    A person with no value for any matching attribute, or none for a required attribute,
    fails as Entra ID's `MandatoryFieldsMissing`.
    """
    prepared = mappings if isinstance(mappings, MappingSet) else MappingSet(mappings)
    context = Context(
        person=person,
        role=role,
        soft_deleted=(not person.account_enabled) if soft_deleted is None else soft_deleted,
        now=now or dt.datetime.now(dt.UTC),
    )
    attributes: dict[str, TargetValue] = {}
    create_only: dict[str, TargetValue] = {}
    manager_ref: str | None = None
    redacted: list[str] = []
    problems: list[str] = []
    failed: set[str] = set()
    for entry in prepared._entries:
        key = entry.key
        if entry.kind == "none":
            if entry.default is not None:
                create_only[key] = entry.default
            continue
        context.redacted = False
        try:
            value = convert(entry.raw_value(context), entry.attribute)
        except SkipFlow:
            continue
        except (EvaluationError, ConversionError) as exc:
            problems.append(f"mapping {entry.label}: {exc}")
            failed.add(key)
            continue
        except Exception as exc:  # a Python callable failed: report it like the others
            problems.append(f"mapping {entry.label}: {type(exc).__name__}: {exc}")
            failed.add(key)
            continue
        if context.redacted:
            redacted.append(key)
        if value is None:
            if entry.default is not None:
                create_only[key] = entry.default
            elif entry.clear and entry.always:
                attributes[key] = None
        elif key == MANAGER_KEY:
            manager_ref = str(value)
        elif entry.always:
            attributes[key] = value
        else:
            create_only[key] = value
    match_on = [
        key
        for key in prepared.matching_keys
        if attributes.get(key) is not None or create_only.get(key) is not None
    ]
    account = MappedAccount(
        attributes=attributes,
        create_only=create_only,
        match_on=match_on,
        manager_ref=manager_ref,
        redacted=redacted,
    )
    problems.extend(_mandatory_problems(prepared, account, failed))
    if problems:
        label = person_label(person)
        raise MappingError(
            [f"{label}: {p}" for p in problems], summary=f"{label}: {len(problems)} problem(s)"
        )
    return account


def _mandatory_problems(
    prepared: MappingSet, account: MappedAccount, failed: set[str]
) -> list[str]:
    # A mapping that already failed is reported once, not again as a missing value.
    problems: list[str] = []
    matching = prepared.matching_keys
    if matching and not account.match_on and not failed & set(matching):
        problems.append(
            f"no value for any matching attribute ({', '.join(matching)}); Workplace could not "
            "find the account (MandatoryFieldsMissing)"
        )
    for key in REQUIRED_KEYS:
        if account.value(key) is None and key not in failed:
            source = next((m for m in prepared.mappings if m.key == key), None)
            how = f" (mapped from {_describe(source)})" if source else ""
            problems.append(f"required attribute {key}{how} has no value (MandatoryFieldsMissing)")
    return problems


def _describe(mapping: Mapping) -> str:
    if mapping.type == "direct":
        return f"[{mapping.source}]"
    if isinstance(mapping.expression, str):
        return mapping.expression
    return mapping.type
