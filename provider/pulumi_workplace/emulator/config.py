"""Settings of the Workplace SCIM emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pulumi_workplace.emulator.profiles import PROFILES, ManagerShape, Profile, ProfileName

__all__ = ["WRITE_METHODS", "EmulatorConfig", "ErrorFormat", "ManagerShape", "PutSemantics"]

PutSemantics = Literal["replace", "merge"]
ErrorFormat = Literal["scim", "graph", "text"]

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_Rate = Field(default=0.0, ge=0.0, le=1.0)


class EmulatorConfig(BaseModel):
    """How the emulator behaves: authentication, Workplace quirks, persistence and faults.

    Every field is a keyword argument with a default. `profile` picks the kind of host
    (emulator/profiles.py); it also sets the defaults of `discovery`, `manager_shape` and
    `reject_v1_urns`, which a value given explicitly overrides (the defaults below are the
    `workplace` ones). The rates are shares of the SCIM requests (0.0 to 1.0); the faults draw
    from a random generator seeded with `seed`, so a given sequence of requests meets the same
    faults on every run.
    """

    # hide_input_in_errors keeps the token out of validation messages.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    # repr=False keeps the token out of logs and tracebacks that print the config.
    token: str = Field(default="t", min_length=1, repr=False)
    profile: ProfileName = "workplace"
    data_file: Path | None = None
    seed: int = 0

    error_rate: float = _Rate
    throttle_rate: float = _Rate
    retry_after: float = Field(default=1.0, ge=0.0)
    drop_rate: float = _Rate
    lost_response_rate: float = _Rate
    latency_ms: int = Field(default=0, ge=0)
    visibility_delay_ms: int = Field(default=0, ge=0)
    # None: faults hit every method; otherwise only these (e.g. WRITE_METHODS).
    fault_methods: frozenset[str] | None = None

    put_semantics: PutSemantics = "replace"
    manager_shape: ManagerShape = "both"
    conflict_status: int = Field(default=409, ge=400, le=599)
    delete_claimed_status: int = Field(default=400, ge=400, le=599)
    delete_status: Literal[200, 204] = 204
    create_status: Literal[200, 201] = 201
    reject_v1_urns: bool = False
    patch_simple_only: bool = False
    discovery: bool = True
    read_only: bool = False
    permission_denied: bool = False
    error_format: ErrorFormat = "scim"
    numeric_ids: bool = False

    default_page_size: int = Field(default=100, ge=1)
    max_page_size: int = Field(default=1000, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _profile_defaults(cls, data: Any) -> Any:
        """Fill the fields the profile gives defaults for, unless they are given."""
        if isinstance(data, dict):
            name = data.get("profile", "workplace")
            profile = PROFILES.get(name) if isinstance(name, str) else None
            if profile is not None:  # an unknown name fails the field's own validation
                return {**profile.config_defaults(), **data}
        return data

    @property
    def profile_spec(self) -> Profile:
        """The profile's row: what the emulated host serves and which rules it applies."""
        return PROFILES[self.profile]

    @field_validator("fault_methods")
    @classmethod
    def _upper_methods(cls, value: frozenset[str] | None) -> frozenset[str] | None:
        return None if value is None else frozenset(method.upper() for method in value)

    @model_validator(mode="after")
    def _check_consistency(self) -> Self:
        if self.default_page_size > self.max_page_size:
            raise ValueError("default_page_size must not exceed max_page_size")
        # One draw decides drop, error or throttle, so their shares must fit in one.
        if self.drop_rate + self.error_rate + self.throttle_rate > 1.0:
            raise ValueError("drop_rate + error_rate + throttle_rate must not exceed 1")
        return self
