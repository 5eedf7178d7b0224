"""Target profiles, capability discovery and the comparison rules other SCIM servers need
(issue #14), in-process: settings, default mappings, the server fit, not-kept attributes."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from pulumi_workplace.attributes import BY_KEY
from pulumi_workplace.mapping import Mapping, MappingError, default_mappings, fit_to_server
from pulumi_workplace.operations.log import LogRecord
from pulumi_workplace.operations.report import render_markdown, summarise
from pulumi_workplace.profiles import PROFILES
from pulumi_workplace.resources._not_kept import describe, not_kept, set_aside
from pulumi_workplace.resources._user_wire import observed_values
from pulumi_workplace.scim import ScimClient, ScimUser, ServerCapabilities
from pulumi_workplace.settings import SettingsError, connection_from, load_settings

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _schema(urn: str, *attributes: Any) -> dict[str, Any]:
    rows = []
    for attribute in attributes:
        if isinstance(attribute, tuple):
            name, subs = attribute
            rows.append({"name": name, "subAttributes": [{"name": s} for s in subs]})
        else:
            rows.append({"name": attribute})
    return {"id": urn, "attributes": rows}


# -- settings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "shape", "method"),
    [
        ("workplace", "managerId", "auto"),
        ("work-accounts", "value", "patch"),
        ("generic", "value", "auto"),
    ],
)
def test_a_profile_sets_the_connection_defaults(profile, shape, method):
    settings = load_settings({"workplace:profile": profile, "workplace:token": "t"}, {})
    connection = connection_from(settings)
    assert (connection.manager_shape, connection.update_method) == (shape, method)


def test_config_overrides_each_profile_default():
    settings = load_settings(
        {
            "workplace:profile": "generic",
            "workplace:managerShape": "managerId",
            "workplace:updateMethod": "put",
            "workplace:token": "t",
        },
        {},
    )
    connection = connection_from(settings)
    assert (connection.manager_shape, connection.update_method) == ("managerId", "put")


def test_an_unknown_profile_names_the_setting_and_the_choices():
    with pytest.raises(SettingsError) as caught:
        load_settings({"workplace:profile": "okta"}, {})
    message = str(caught.value)
    assert "workplace:profile" in message
    assert all(name in message for name in PROFILES)


# -- default mappings ------------------------------------------------------------------------


def test_generic_defaults_write_only_core_and_enterprise_attributes():
    keys = {m.key for m in default_mappings("generic")}
    assert "startDate" not in keys  # a Facebook extension
    assert {"userName", "workEmail", "department", "managerId"} <= keys
    assert all(BY_KEY[k].schema in (CORE, ENTERPRISE) for k in keys)
    assert {m.key for m in default_mappings("workplace")} - keys == {"startDate"}


def test_work_accounts_defaults_match_on_user_name_only():
    matching = [m.key for m in default_mappings("work-accounts") if m.matching_precedence]
    assert matching == ["userName"]
    both = [m.key for m in default_mappings("workplace") if m.matching_precedence]
    assert both == ["userName", "externalId"]


# -- capabilities ----------------------------------------------------------------------------


def test_capabilities_name_what_the_server_schema_lacks():
    capabilities = ServerCapabilities.read(
        {"patch": {"supported": False}},
        [
            _schema(CORE, "userName", "displayName", "active", ("emails", ["value", "primary"])),
            _schema(ENTERPRISE, "department"),
        ],
        [{"name": "User", "schema": CORE, "schemaExtensions": [{"schema": ENTERPRISE}]}],
    )
    assert capabilities.supports_patch is False
    lacking = capabilities.lacking_keys()
    assert {"userName", "displayName", "active", "workEmail", "department"}.isdisjoint(lacking)
    assert "externalId" not in lacking  # a common attribute (RFC 7643 §3.1), never listed
    assert {"title", "costCenter", "startDate", "workPhone", "formattedName"} <= lacking


def test_capabilities_without_discovery_know_nothing_lacking():
    capabilities = ServerCapabilities.read(None, None, None)
    assert capabilities.lacking_keys() == frozenset()
    assert capabilities.supports_patch is None and capabilities.served == ()


def test_an_extension_the_user_type_does_not_list_lacks_all_its_attributes():
    capabilities = ServerCapabilities.read(
        None, None, [{"name": "User", "schema": CORE, "schemaExtensions": []}]
    )
    lacking = capabilities.lacking_keys()
    assert {"department", "managerId", "startDate"} <= lacking
    assert "userName" not in lacking


# -- fitting the mappings to the server ------------------------------------------------------


def test_a_default_mapping_the_server_lacks_is_left_out():
    fit = fit_to_server(default_mappings("workplace"), [], {"startDate", "fax"})
    assert set(fit.left_out) == {"startDate", "fax"} and not fit.refused
    assert {"startDate", "fax"}.isdisjoint(m.key for m in fit.mappings)


def test_a_configured_mapping_the_server_lacks_is_refused_naming_its_setting():
    overrides = [("workplace:mappings[1]", Mapping("startDate", source="employeeHireDate"))]
    fit = fit_to_server(default_mappings("workplace"), overrides, {"startDate"})
    assert len(fit.refused) == 1
    assert fit.refused[0].startswith("workplace:mappings[1] (startDate)")
    assert "starttermdates" in fit.refused[0]


def test_a_configured_removal_of_a_lacking_target_is_fine():
    overrides = [("workplace:mappings[0]", Mapping("startDate", type="none"))]
    fit = fit_to_server(default_mappings("workplace"), overrides, {"startDate"})
    assert not fit.refused and "startDate" not in {m.key for m in fit.mappings}


def test_fitting_still_checks_the_merged_mappings():
    overrides = [
        ("workplace:mappings[0]", Mapping("userName", type="none")),
    ]
    with pytest.raises(MappingError):
        fit_to_server(default_mappings("workplace"), overrides, set())


# -- what servers legitimately rewrite -------------------------------------------------------


def test_an_untyped_only_or_primary_email_stands_for_the_work_email():
    only = ScimUser.from_wire({"userName": "a", "emails": [{"value": "a@x.com"}]})
    assert observed_values(only, ["workEmail"]) == {"workEmail": "a@x.com"}
    primary = ScimUser.from_wire(
        {
            "userName": "a",
            "emails": [{"value": "b@x.com"}, {"value": "a@x.com", "primary": True}],
        }
    )
    assert observed_values(primary, ["workEmail"]) == {"workEmail": "a@x.com"}
    ambiguous = ScimUser.from_wire(
        {"userName": "a", "emails": [{"value": "b@x.com"}, {"value": "a@x.com"}]}
    )
    assert observed_values(ambiguous, ["workEmail"]) == {"workEmail": None}
    home = ScimUser.from_wire(
        {"userName": "a", "emails": [{"value": "a@x.com", "type": "home", "primary": True}]}
    )
    assert observed_values(home, ["workEmail"]) == {"workEmail": None}


def test_not_kept_uses_the_comparison_rules():
    sent = {"userName": "Ann@X.com", "externalId": "e1", "title": "Boss", "active": True}
    stored = {"userName": "ann@x.com", "externalId": "", "title": "Boss", "active": True}
    assert not_kept(sent, stored) == {"externalId": {"sent": "e1", "stored": ""}}


def test_a_not_kept_key_is_set_aside_until_either_side_changes():
    recorded = {"workEmail": {"sent": "a@x.com", "stored": None}}
    desired = {"userName": "a", "workEmail": "a@x.com"}
    assert set_aside(recorded, desired, {"userName": "a"}) == {"workEmail"}
    assert set_aside(recorded, {**desired, "workEmail": "new@x.com"}, {"userName": "a"}) == set()
    assert set_aside(recorded, desired, {"userName": "a", "workEmail": "other@x.com"}) == set()
    assert set_aside(None, desired, {}) == set()


def test_not_kept_notes_name_keys_never_values():
    text = describe({"workEmail": {"sent": "secret@x.com", "stored": None}})
    assert "workEmail" in text and "secret" not in text


def test_the_run_report_counts_not_kept_attributes():
    record = LogRecord.model_validate(
        {
            "time": "2026-12-01T00:00:00Z",
            "stack": "dev",
            "run_id": "r1",
            "person": "a@x.com",
            "action": "not_kept",
            "status": "warning",
            "changes": [{"attribute": "workEmail", "old": None, "new": "[redacted]"}],
        }
    )
    summary = summarise([record, record])
    assert summary.not_kept == {"workEmail": 2}
    assert "Not kept by the server" in render_markdown(summary)


# -- the client's update method ---------------------------------------------------------------


class _Server:
    """A tiny in-process SCIM server: records requests; PATCH answers 501 when told to."""

    def __init__(self, *, patch_status: int = 200, spc_patch: bool | None = True) -> None:
        self.requests: list[str] = []
        self.patch_status = patch_status
        self.spc_patch = spc_patch
        self.user = {"id": "1", "userName": "a", "active": True, "schemas": [CORE]}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        self.requests.append(f"{request.method} {path}")
        if path == "ServiceProviderConfig":
            if self.spc_patch is None:
                return httpx.Response(404, json={"status": "404"})
            return httpx.Response(200, json={"patch": {"supported": self.spc_patch}})
        if request.method == "PATCH":
            if self.patch_status != 200:
                return httpx.Response(self.patch_status, json={"status": str(self.patch_status)})
            self.user["active"] = False
            return httpx.Response(200, json=self.user)
        if request.method == "PUT":
            self.user = {**self.user, **json.loads(request.content)}
            return httpx.Response(200, json=self.user)
        return httpx.Response(200, json=self.user)


def _client(server: _Server, method: str) -> ScimClient:
    return ScimClient(
        "http://127.0.0.1:9/", "t", update_method=method, transport=httpx.MockTransport(server)
    )


def test_put_method_never_sends_patch():
    server = _Server()
    _client(server, "put").deactivate_user("1")
    assert server.requests == ["GET 1", "PUT 1"]


def test_patch_method_switches_to_put_after_501_and_says_so_once():
    server = _Server(patch_status=501)
    client = _client(server, "patch")
    client.deactivate_user("1")
    client.reactivate_user("1")
    assert server.requests == ["PATCH 1", "GET 1", "PUT 1", "GET 1", "PUT 1"]
    notice = client.take_put_notice()
    assert notice is not None and "501" in notice
    assert client.take_put_notice() is None


def test_auto_method_reads_the_service_provider_config():
    server = _Server(spc_patch=False)
    client = _client(server, "auto")
    client.deactivate_user("1")
    assert "PATCH 1" not in server.requests and "PUT 1" in server.requests
    assert client.take_put_notice() is None  # the preview said so, from discovery


def test_patch_method_does_not_ask_discovery():
    server = _Server(spc_patch=False)
    _client(server, "patch").deactivate_user("1")
    assert server.requests == ["PATCH 1"]


def test_a_put_clears_only_what_the_server_holds():
    from pulumi_workplace.scim import merged_user

    current = ScimUser.from_wire({"id": "1", "userName": "a", "title": "Boss"})
    desired = ScimUser(user_name="a").model_copy(
        update={"clear": frozenset({"title", "addresses"})}
    )
    merged = merged_user(current, desired)
    wire = merged.to_wire(null_for_clears=True)
    assert wire.get("title", "absent") is None  # held: cleared with an explicit null
    assert "addresses" not in wire  # not held: nothing to clear, no null sent
