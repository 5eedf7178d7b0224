"""Shared constants and request helpers of the emulator tests."""

from __future__ import annotations

from typing import Any

import httpx

TOKEN = "emulator-test-token"
USER_AGENT = "pulumi-workplace-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}", "User-Agent": USER_AGENT}

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
START_TERM = "urn:ietf:params:scim:schemas:extension:facebook:starttermdates:2.0:User"
ACCOUNT = "urn:ietf:params:scim:schemas:extension:facebook:accountstatusdetails:2.0:User"
AUTH_METHOD = "urn:ietf:params:scim:schemas:extension:facebook:authmethod:2.0:User"
FRONTLINE = "urn:scim:schemas:extension:facebook:frontline:1.0"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"

ENTERPRISE_V1 = "urn:scim:schemas:extension:enterprise:1.0"
START_TERM_V1 = "urn:scim:schemas:extension:facebook:starttermdates:1.0"
AUTH_METHOD_V1 = "urn:scim:schemas:extension:facebook:auth_method:1.0"


def user_body(user_name: str, **attributes: Any) -> dict[str, Any]:
    """A minimal create body; extension attributes are passed under their URN keys."""
    schemas = [CORE, *(key for key in attributes if key.startswith("urn:"))]
    return {
        "schemas": schemas,
        "userName": user_name,
        "name": {"formatted": user_name},
        **attributes,
    }


def create_user(client: httpx.Client, user_name: str, **attributes: Any) -> dict[str, Any]:
    """Create a user and return the response body, failing the test on any other status."""
    response = client.post("Users", json=user_body(user_name, **attributes))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def patch_body(*operations: dict[str, Any]) -> dict[str, Any]:
    """A PatchOp body."""
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def search(client: httpx.Client, scim_filter: str) -> list[dict[str, Any]]:
    """Return the Resources of a filtered list."""
    response = client.get("Users", params={"filter": scim_filter})
    assert response.status_code == 200, response.text
    resources: list[dict[str, Any]] = response.json().get("Resources", [])
    return resources
