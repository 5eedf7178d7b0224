"""scim2-server service with the Workplace answers: PATCH limits and status codes."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

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
)
from scim2_server.responses import ScimResponse
from scim2_server.service import ScimService

from pulumi_workplace.emulator.config import EmulatorConfig


class WorkplaceService(ScimService):
    """The scim2-server protocol steps, adjusted to behave like Workplace."""

    def __init__(self, provider: Any, config: EmulatorConfig) -> None:
        super().__init__(provider)
        self._config = config

    def publish(self, base_url: str, resource: Resource[Any]) -> Resource[Any]:
        """Return a copy of a stored user with its location, as sent to clients.

        scim2-server also walks every reference attribute to turn relative references into
        URLs; Workplace users hold none (groups is read-only, the manager carries ids), so that
        walk, a tenth of a request, is skipped.
        """
        assert resource.meta is not None and resource.id is not None
        location = self.resource_location(
            base_url, self.get_resource_type_of(resource), resource.id
        )
        published: Resource[Any] = resource.model_copy(deep=True)
        published.meta = resource.meta.model_copy(update={"location": location})
        return published

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
        """Return the SCIM error of an exception; uniqueness conflicts get the configured status."""
        error: Error = super().error_of(exception)
        if error.scim_type == "uniqueness":
            # userName is the only unique attribute a client can write.
            error = Error(
                status=self._config.conflict_status,
                scim_type="uniqueness",
                detail="userName is already used by another account (compared case-insensitively)",
            )
        return error
