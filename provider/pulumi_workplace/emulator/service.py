"""scim2-server service with the Workplace answers: PUT merge, PATCH limits, status codes."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from pydantic import BaseModel as PydanticModel
from scim2_models import (
    Context,
    Error,
    InvalidPathException,
    InvalidValueException,
    PatchOp,
    PatchOperation,
    Resource,
    ResourceType,
    ResponseParameters,
    SCIMException,
)
from scim2_server.conditions import Conditions
from scim2_server.responses import ScimResponse
from scim2_server.service import ScimService

from pulumi_workplace.emulator.config import EmulatorConfig

_SERVER_FIELDS = frozenset({"id", "meta", "schemas"})


def merge_into(target: PydanticModel, source: PydanticModel) -> None:
    """Copy the attributes `source` was given onto `target`.

    Single complex attributes and extensions merge recursively; multi-valued attributes and
    plain values replace what was there; an explicit null clears.
    """
    for name in source.model_fields_set - _SERVER_FIELDS:
        value = getattr(source, name)
        existing = getattr(target, name)
        if isinstance(value, PydanticModel) and isinstance(existing, PydanticModel):
            merge_into(existing, value)
        else:
            setattr(target, name, value)


class WorkplaceService(ScimService):
    """The scim2-server protocol steps, adjusted to behave like Workplace."""

    def __init__(self, provider: Any, config: EmulatorConfig) -> None:
        super().__init__(provider)
        self._config = config

    def apply_replacement(
        self,
        current: Resource[Any],
        replacement: Resource[Any],
        conditions: Conditions,
    ) -> Resource[Any] | None:
        """Apply a PUT; in merge mode the attributes the body leaves out are kept."""
        if self._config.put_semantics == "merge":
            merged = current.model_copy(deep=True)
            merge_into(merged, replacement)
            replacement = merged
        result: Resource[Any] | None = super().apply_replacement(current, replacement, conditions)
        return result

    def read_patch(
        self, resource_type: ResourceType, body: bytes, content_type: str | None
    ) -> PatchOp[Any]:
        """Validate a PATCH body; a strict host takes only `replace` on plain paths."""
        patch_op: PatchOp[Any] = super().read_patch(resource_type, body, content_type)
        if self._config.patch_simple_only:
            for operation in patch_op.operations or []:
                if operation.op != PatchOperation.Op.replace_:
                    raise InvalidValueException(
                        detail=f"PATCH op {operation.op.value!r} is not supported; use 'replace'"
                    )
                if operation.path is not None and "[" in str(operation.path):
                    raise InvalidPathException(
                        detail=f"PATCH path {str(operation.path)!r} has a value filter; "
                        "value-filter paths are not supported"
                    )
        return patch_op

    def patch_response(
        self,
        base_url: str,
        resource: Resource[Any],
        response_parameters: ResponseParameters[Any],
    ) -> ScimResponse:
        """Answer a PATCH with 200 and the user, as Workplace does, rather than a bare 204."""
        return self.resource_response(
            self.publish(base_url, resource),
            Context.RESOURCE_REPLACEMENT_RESPONSE,
            response_parameters,
        )

    def creation_response(self, base_url: str, created: Resource[Any]) -> ScimResponse:
        """Answer a creation with the configured status (201, or 200 like some hosts)."""
        response = super().creation_response(base_url, created)
        response.status = HTTPStatus(self._config.create_status)
        return response

    def deletion_response(self) -> ScimResponse:  # type: ignore[override]
        """Answer a deletion with the configured status (204, or 200 as Meta's samples expect)."""
        return ScimResponse(HTTPStatus(self._config.delete_status))

    def error_of(self, exception: Exception) -> Error:  # type: ignore[override]
        """Return the SCIM error of an exception; a uniqueness conflict gets the configured status."""
        error: Error = super().error_of(exception)
        if error.scim_type == "uniqueness":
            # userName is the only unique attribute a client can write.
            error = Error(
                status=self._config.conflict_status,
                scim_type="uniqueness",
                detail="userName is already used by another account (compared case-insensitively)",
            )
        return error
