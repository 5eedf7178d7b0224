"""`Mapping`: one rule producing one Workplace attribute, as Entra ID's attribute mappings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError, model_validator

from pulumi_workplace.attributes import MATCHABLE_KEYS, Attribute, resolve_target
from pulumi_workplace.directory.model import Person
from pulumi_workplace.mapping.context import APP_ROLE_ASSIGNMENTS
from pulumi_workplace.mapping.conversion import ConversionError, convert
from pulumi_workplace.mapping.errors import ExpressionError, MappingError
from pulumi_workplace.mapping.expression import Expression, compile_expression

MappingType = Literal["direct", "constant", "expression", "none"]
Apply = Literal["always", "on_create"]

MANAGER_KEY = "managerId"
_PRIMARY_KEY = "id"


class Mapping(BaseModel):
    """A rule for one target attribute.

    - `target`: a catalogue key or any name Entra ID uses for it (`resolve_target`).
    - `type`: `direct` copies `source`; `constant` writes `constant`; `expression` evaluates
      `expression` (Entra ID syntax, or a Python callable taking the `Person`); `none` writes
      nothing but its `default`. Inferred from the fields given when omitted.
    - `default`: "default value if null": written only when the account is created and the
      mapping gives no value (Entra ID never applies it on update).
    - `apply`: `always`, or `on_create` ("only during object creation").
    - `matching_precedence`: marks a matching attribute; lower numbers are tried first.
    - `clear_when_empty`: when the source is empty the target is cleared (Entra ID leaves
      the old value instead; set False to do the same).

    Invalid mappings raise `MappingError` naming the target, when constructed.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    target: str
    source: str | None = None
    type: MappingType
    expression: str | Callable[[Person], Any] | None = None
    constant: Any = None
    default: Any = None
    apply: Apply = "always"
    matching_precedence: int | None = None
    clear_when_empty: bool = True

    _attribute: Attribute = PrivateAttr()
    _compiled: Expression | None = PrivateAttr(default=None)

    def __init__(
        self,
        target: str,
        *,
        source: str | None = None,
        type: MappingType | None = None,
        expression: str | Callable[[Person], Any] | None = None,
        constant: Any = None,
        default: Any = None,
        apply: Apply = "always",
        matching_precedence: int | None = None,
        clear_when_empty: bool = True,
    ) -> None:
        try:
            super().__init__(
                target=target,
                source=source,
                type=type,
                expression=expression,
                constant=constant,
                default=default,
                apply=apply,
                matching_precedence=matching_precedence,
                clear_when_empty=clear_when_empty,
            )
        except ValidationError as exc:
            details = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'mapping'}: {e['msg']}" for e in exc.errors()
            )
            raise MappingError(f"mapping {target}: {details}") from None
        problems = self._check()
        if problems:
            raise MappingError([f"mapping {self.label}: {p}" for p in problems])

    @model_validator(mode="before")
    @classmethod
    def _infer_type(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("type") is None:
            if data.get("expression") is not None:
                kind = "expression"
            elif data.get("constant") is not None:
                kind = "constant"
            elif data.get("source") is not None:
                kind = "direct"
            else:
                kind = "none"
            data = {**data, "type": kind}
        return data

    def _check(self) -> list[str]:
        if self.target.strip().lower() == _PRIMARY_KEY:
            return ["id is the primary key Workplace assigns; it can never be a mapping target"]
        try:
            self._attribute = resolve_target(self.target)
        except KeyError as exc:
            return [str(exc.args[0])]
        problems = self._check_fields()
        if isinstance(self.expression, str) and self.type == "expression":
            try:
                self._compiled = compile_expression(self.expression)
            except ExpressionError as exc:
                problems.append(f"expression {exc.render()}")
            else:
                if self._compiled.select_unique_value and self.matching_precedence is not None:
                    problems.append("SelectUniqueValue cannot be used on a matching attribute")
        for name in ("constant", "default"):
            value = getattr(self, name)
            if value is not None:
                try:
                    convert(value, self._attribute)
                except ConversionError as exc:
                    problems.append(f"{name}: {exc}")
        return problems

    def _check_fields(self) -> list[str]:
        problems: list[str] = []
        given = {
            "source": self.source is not None,
            "expression": self.expression is not None,
            "constant": self.constant is not None,
        }
        needs = {"direct": "source", "expression": "expression", "constant": "constant"}
        kind = f"{'an' if self.type == 'expression' else 'a'} {self.type} mapping"
        wanted = needs.get(self.type)
        if wanted and not given[wanted]:
            problems.append(f"{kind} needs {wanted}")
        extra = [name for name, present in given.items() if present and name != wanted]
        if extra:
            problems.append(f"{kind} takes no {' or '.join(extra)}")
        if self.type == "direct" and (self.source or "").lower() == APP_ROLE_ASSIGNMENTS.lower():
            problems.append(
                "roles cannot be mapped directly; use the expression "
                "SingleAppRoleAssignment([appRoleAssignments])"
            )
        if self.matching_precedence is not None:
            if self.matching_precedence < 1:
                problems.append("matching_precedence must be a positive number")
            if self.key not in MATCHABLE_KEYS:
                problems.append(
                    f"{self.key} cannot be a matching attribute: Workplace can only find users by "
                    f"{', '.join(MATCHABLE_KEYS)}"
                )
        if self.key == MANAGER_KEY and (self.apply == "on_create" or self.default is not None):
            problems.append(
                "managerId is resolved to the manager's Workplace account on every run; "
                "it cannot be applied on create only or have a default"
            )
        return problems

    @property
    def attribute(self) -> Attribute:
        """The catalogue attribute the target names."""
        return self._attribute

    @property
    def key(self) -> str:
        """The catalogue key, e.g. `department` for `urn:...:1.0.department`."""
        return self._attribute.key

    @property
    def compiled(self) -> Expression | None:
        """The checked expression, for string expressions."""
        return self._compiled

    @property
    def label(self) -> str:
        """How messages name the mapping: its key, and the target as written if different."""
        try:
            key = self._attribute.key
        except AttributeError:
            return repr(self.target)
        return key if key == self.target else f"{key} ({self.target})"

    @property
    def deterministic(self) -> bool:
        """False when the value changes between runs (Guid, RandomString, Now)."""
        return self._compiled is None or self._compiled.deterministic

    @property
    def removes(self) -> bool:
        """In `merge_mappings`, whether this override deletes the target's mapping."""
        return self.type == "none" and self.default is None
