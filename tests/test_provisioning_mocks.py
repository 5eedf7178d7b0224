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
    path = tmp_path / "directory.yaml"
    path.write_text(yaml.safe_dump(directory(), allow_unicode=True))
    mocks = mocks or _Mocks(previous)
    pulumi.runtime.set_mocks(mocks, project="wp", stack="test", preview=False)

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        component = Provisioning(
            "workplace",
            directory=Directory.from_yaml(path),
            assignments=[{"group": "Sales", "role": "Employee"}],
            roles=["Employee"],
        )
        return component.counts

    program()
    return mocks


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
