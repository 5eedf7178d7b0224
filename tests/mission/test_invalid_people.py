"""`invalid_people`: a person in scope whose mappings fail stops the plan, or is set aside."""

from __future__ import annotations

import pytest

from pulumi_workplace.directory import Directory, Person
from pulumi_workplace.planning import ProvisioningInputError, plan_provisioning


def _directory() -> Directory:
    def person(pid: str, hired: str) -> Person:
        return Person(
            id=pid,
            attributes={
                "userPrincipalName": f"{pid}@contoso.com",
                "givenName": pid.title(),
                "surname": "Example",
                "employeeHireDate": hired,
            },
        )

    return Directory([person("ana", "2020-01-02"), person("bob", "yesterday-ish")])


def test_fail_stops_the_plan_naming_the_person():
    with pytest.raises(ProvisioningInputError) as caught:
        plan_provisioning(_directory(), assignments=[], roles=["User"], scope="all")
    assert "bob@contoso.com" in str(caught.value)


def test_skip_sets_the_person_aside_and_plans_everyone_else():
    plan = plan_provisioning(
        _directory(), assignments=[], roles=["User"], scope="all", invalid_people="skip"
    )
    assert set(plan.invalid) == {"bob"}
    assert "bob@contoso.com" in plan.invalid["bob"][0]
    ana = plan.account("ana")
    assert ana is not None and ana.mapped.values.get("startDate")
