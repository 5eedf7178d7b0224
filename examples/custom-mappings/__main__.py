"""Provisioning written in Python: default mappings with overrides and a scoping filter."""

from pathlib import Path

import pulumi

from pulumi_workplace import (
    Assignment,
    Directory,
    Mapping,
    Provisioning,
    ScopingClause,
    ScopingFilter,
    default_mappings,
    merge_mappings,
)

here = Path(__file__).parent
directory = Directory.from_csv(here / "../directory/people.csv", here / "../directory/groups.csv")

mappings = merge_mappings(
    default_mappings(),
    [
        # Entra's expression language, checked when the program starts.
        Mapping("displayName", expression='Join(" ", [givenName], ToUpper([surname]))'),
        Mapping("title", expression='IIF(IsPresent([jobTitle]), [jobTitle], "Colleague")'),
        # Only when the account is created: the person may change it in Workplace afterwards.
        Mapping("preferredLanguage", source="preferredLanguage", apply="on_create"),
        Mapping("authMethod", constant="sso"),
        # A Python function is a mapping too.
        Mapping("division", expression=lambda person: (person.get("division") or "").upper()),
    ],
)

workplace = Provisioning(
    "workplace",
    directory=directory,
    roles=["Employee"],
    assignments=[
        Assignment(group="Engineering", role="Employee"),
        Assignment(group="Operations", role="Employee"),
    ],
    mappings=mappings,
    scoping_filters=[
        ScopingFilter(
            name="Seattle or Lisbon",
            clauses=[
                ScopingClause(attribute="city", operator="REGEX MATCH", value="^(Seattle|Lisboa)$")
            ],
        )
    ],
)
pulumi.export("counts", workplace.counts)
