"""`Provisioning` under `pulumi.runtime.set_mocks`: what it registers, without an engine."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
import yaml

from e2e.test_provisioning_cli import directory
from pulumi_workplace.directory import Directory
from pulumi_workplace.resources.provisioning import Provisioning, managed_output_name

USER_TYPE = "pulumi-python:dynamic:Resource"


class _Mocks(pulumi.runtime.Mocks):
    def __init__(self, previous: dict[str, Any]) -> None:
        self.previous = previous
        self.registered: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        self.registered.append(args)
        if args.typ == "pulumi:pulumi:StackReference":
            return f"{args.name}-id", {"outputs": {managed_output_name("workplace"): self.previous}}
        return f"id-{args.name}", args.inputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list]:
        return {}, []


def _run(tmp_path, previous: dict[str, Any], mocks: _Mocks | None = None) -> _Mocks:
    return _run_with(tmp_path, directory(), previous, mocks=mocks)


def _users(mocks: _Mocks) -> dict[str, dict[str, Any]]:
    return {
        a.name: a.inputs["attributes"] for a in mocks.registered if a.name.startswith("workplace/")
    }


def test_one_user_per_assigned_person_managers_first(tmp_path):
    mocks = _run(tmp_path, previous={})
    users = _users(mocks)
    assert set(users) == {
        "workplace/lena@contoso.com",
        "workplace/kai@contoso.com",
        "workplace/bob@contoso.com",
    }
    assert users["workplace/kai@contoso.com"]["managerId"] == "id-workplace/lena@contoso.com"
    names = [a.name for a in mocks.registered if a.name.startswith("workplace/")]
    assert names.index("workplace/lena@contoso.com") < names.index("workplace/kai@contoso.com")
    assert all(attributes["active"] is True for attributes in users.values())


def test_a_person_who_left_the_scope_is_deactivated_not_dropped(tmp_path):
    previous = {"zoe": {"userName": "zoe@contoso.com", "active": True, "resource": "workplace/z"}}
    users = _users(_run(tmp_path, previous=previous))
    assert users["workplace/zoe@contoso.com"]["active"] is False


def test_the_guard_stops_before_any_user_is_registered(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKPLACE_DEPROVISION_THRESHOLD", "1")
    previous = {
        pid: {"userName": f"{pid}@contoso.com", "active": True, "resource": f"workplace/{pid}"}
        for pid in ("zoe", "ana")
    }
    mocks = _Mocks(previous)
    with pytest.raises(Exception, match="2 accounts would be deactivated"):
        _run(tmp_path, previous=previous, mocks=mocks)
    assert _users(mocks) == {}


def _run_with(
    tmp_path,
    doc: dict[str, Any],
    previous: dict[str, Any],
    mocks: _Mocks | None = None,
    **options: Any,
) -> _Mocks:
    """Run a `Provisioning` over `doc` under mocks whose stack reference answers `previous`."""
    path = tmp_path / "directory.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    mocks = mocks or _Mocks(previous)
    pulumi.runtime.set_mocks(mocks, project="wp", stack="test", preview=False)

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        component = Provisioning(
            "workplace",
            directory=Directory.from_yaml(path),
            assignments=[{"group": "Sales", "role": "Employee"}],
            roles=["Employee"],
            **options,
        )
        return component.counts

    program()
    return mocks


def _recorded(tmp_path) -> dict[str, Any]:
    """What a first run records for each person (the bookkeeping output, digests included)."""
    from pulumi_workplace.operations.change_guard import encode_digests
    from pulumi_workplace.planning import plan_provisioning
    from pulumi_workplace.resources.provisioning import _digests

    path = tmp_path / "before.yaml"
    path.write_text(yaml.safe_dump(directory(), allow_unicode=True))
    plan = plan_provisioning(
        Directory.from_yaml(path),
        assignments=[{"group": "Sales", "role": "Employee"}],
        roles=["Employee"],
    )
    return {
        a.person_id: {
            "userName": a.user_principal_name,
            "active": True,
            "resource": f"workplace/{a.user_principal_name}",
            "values": encode_digests(_digests(a)),
        }
        for a in plan.with_action("provision")
    }


def test_a_skipped_person_whose_mappings_fail_is_left_untouched_and_trips_no_guard(tmp_path):
    doc = directory()
    kai = next(p for p in doc["people"] if p["userPrincipalName"] == "kai@contoso.com")
    kai["employeeHireDate"] = "not a date"  # startDate's mapping fails for Kai only
    mocks = _run_with(tmp_path, doc, _recorded(tmp_path), invalid_people="skip")
    users = {a.name: a for a in mocks.registered if a.name.startswith("workplace/")}
    kai_user = users["workplace/kai@contoso.com"]
    # Still declared (not removed, so never deactivated for it), with no new values: the
    # engine keeps its last inputs (ignore_changes). Without setting Kai aside, his empty
    # values would count as emptied for 1 of 3 accounts and trip the mass-change guard.
    assert set(kai_user.inputs["attributes"]) <= {"userName", "active"}
    assert users["workplace/lena@contoso.com"].inputs["attributes"]["department"] == "Sales"


def test_a_person_whose_mappings_fail_stops_the_run_by_default(tmp_path):
    doc = directory()
    kai = next(p for p in doc["people"] if p["userPrincipalName"] == "kai@contoso.com")
    kai["employeeHireDate"] = "not a date"
    with pytest.raises(Exception, match=r"kai@contoso\.com"):
        _run_with(tmp_path, doc, {})
