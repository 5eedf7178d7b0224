"""scim2-server service with the Workplace answers: PATCH limits and status codes."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from scim2_models import (
    Context,
    Error,
    InvalidFilterException,
    InvalidPathException,
    InvalidValueException,
    PatchOp,
    PatchOperation,
    Resource,
    ResourceType,
    ResponseParameters,
    SearchRequest,
)
from scim2_models.path import CompareOperator, Comparison
from scim2_server.responses import ScimResponse
from scim2_server.service import ScimService
from scim2_server.storage import SearchPage

from pulumi_workplace.attributes import CORE
from pulumi_workplace.emulator.config import EmulatorConfig

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


class WorkplaceService(ScimService):
    """The scim2-server protocol steps, adjusted to behave like the profile's host."""

    def __init__(self, provider: Any, config: EmulatorConfig) -> None:
        super().__init__(provider)
        self._config = config
        self._profile = config.profile_spec

    def publish(self, base_url: str, resource: Resource[Any]) -> Resource[Any]:
        """Return a copy of a stored user with its location, as sent to clients.

        scim2-server also walks every reference attribute to turn relative references into
        URLs; Workplace users hold none (groups is read-only, the manager carries ids), so that
        walk, a tenth of a request, is skipped unless the profile has references (generic).
        """
        if self._profile.references:
            return super().publish(base_url, resource)
        assert resource.meta is not None and resource.id is not None
        location = self.resource_location(
            base_url, self.get_resource_type_of(resource), resource.id
        )
        published: Resource[Any] = resource.model_copy(deep=True)
        published.meta = resource.meta.model_copy(update={"location": location})
        return published

    def search_response(
        self,
        base_url: str,
        resource_types: list[ResourceType],
        page: SearchPage,
        search_request: SearchRequest[Any],
    ) -> ScimResponse:
        """scim2-server's ListResponse, without validating every dumped user back into a model
        to dump it again (two thirds of a listing's time): the same body, built as a dict.

        Cursor-paged searches keep scim2-server's path (their cursors are sealed there).
        tests/emulator/test_emulator_listing.py checks both give the same body.
        """
        if search_request.cursor is not None or page.total is None:
            return super().search_response(base_url, resource_types, page, search_request)
        resources = [
            self._published(base_url, resource).model_dump(
                scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=search_request
            )
            for resource in page.resources
        ]
        body: dict[str, Any] = {"schemas": [LIST_RESPONSE], "totalResults": page.total}
        if search_request.start_index is not None:
            body["startIndex"] = search_request.start_index
        body["itemsPerPage"] = len(resources)
        body["Resources"] = resources
        return ScimResponse(HTTPStatus.OK, body)

    def _published(self, base_url: str, resource: Resource[Any]) -> Resource[Any]:
        """`publish` for a resource dumped at once: a shallow copy with its own meta (nothing
        nested is changed before the dump)."""
        if self._profile.references:
            return self.publish(base_url, resource)
        assert resource.meta is not None and resource.id is not None
        location = self.resource_location(
            base_url, self.get_resource_type_of(resource), resource.id
        )
        published: Resource[Any] = resource.model_copy()
        published.meta = resource.meta.model_copy(update={"location": location})
        return published

    def read_search(
        self, resource_types: list[ResourceType], payload: Any
    ) -> tuple[SearchRequest[Any], Any]:
        """Validate a search; a host that filters on a few attributes refuses other filters."""
        search_request, position = super().read_search(resource_types, payload)
        filterable = self._profile.filterable
        scim_filter = search_request.filter
        if (
            filterable is not None
            and scim_filter is not None
            and not _is_equality_on(scim_filter.ast, filterable)
        ):
            names = " or ".join(filterable)
            raise InvalidFilterException(
                detail=f'Only {names} is filterable, as {filterable[0]} eq "value"; '
                f"the filter {str(scim_filter)!r} is not supported"
            )
        return search_request, position

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


def _is_equality_on(node: Any, attributes: tuple[str, ...]) -> bool:
    """Tell whether a filter is one `eq` comparison of a core attribute of `attributes`."""
    if not isinstance(node, Comparison) or node.op != CompareOperator.eq:
        return False
    path = node.attr_path
    if path.sub_attr is not None or (path.uri is not None and path.uri.lower() != CORE.lower()):
        return False
    return isinstance(node.value, str) and path.attr.lower() in {a.lower() for a in attributes}
