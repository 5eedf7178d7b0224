"""Scoping filters: Entra ID's operators, AND within a filter, OR across filters."""

from __future__ import annotations

import pydantic
import pytest

from pulumi_workplace.mapping import (
    OPERATORS,
    ScopingClause,
    ScopingError,
    ScopingFilter,
    compile_filters,
    in_scope,
)

from .conftest import person

ANA = person(
    "ana@contoso.com",
    department="Sales",
    jobTitle="Account Executive",
    employeeId="1042",
    accountEnabled=True,
    extensionAttribute1="",
    city="Lisboa",
)


def clause(attribute: str, operator: str, value: str | int | None = None) -> ScopingClause:
    return ScopingClause(attribute=attribute, operator=operator, value=value)


@pytest.mark.parametrize(
    ("attribute", "operator", "value", "expected"),
    [
        ("department", "EQUALS", "Sales", True),
        ("department", "EQUALS", "sales", False),  # case-sensitive
        ("department", "NOT EQUALS", "Marketing", True),
        ("department", "NOT EQUALS", "Sales", False),
        ("jobTitle", "Includes", "Exec", True),
        ("jobTitle", "Includes", "exec", False),
        ("department", "&", "Sales,Marketing", True),  # the value occurs in the string
        ("department", "&", "Marketing", False),
        ("department", "!&", "Marketing,Finance", True),
        ("department", "!&", "Sales,Marketing", False),
        ("userPrincipalName", "ENDS_WITH", "@contoso.com", True),
        ("userPrincipalName", "ENDS_WITH", "@fabrikam.com", False),
        ("jobTitle", "REGEX MATCH", "^Account (Executive|Manager)$", True),
        ("jobTitle", "REGEX MATCH", "(?<role>Exec)", True),  # .NET named group
        ("jobTitle", "REGEX MATCH", "^account", False),
        ("jobTitle", "NOT REGEX MATCH", "^Intern", True),
        ("employeeId", "Greater_Than", 1000, True),
        ("employeeId", "Greater_Than", "1042", False),
        ("employeeId", "Greater_Than_OR_EQUALS", "1042", True),
        ("jobTitle", "Greater_Than", 1, False),  # not a number: false
        ("accountEnabled", "IS TRUE", None, True),
        ("accountEnabled", "IS FALSE", None, False),
        ("mail", "IS NULL", None, True),
        ("extensionAttribute1", "IS NULL", None, True),  # empty is null
        ("mail", "IS NOT NULL", None, False),
        ("city", "IS NOT NULL", None, True),
        # A null or empty attribute makes every other clause false, NOT REGEX MATCH too.
        ("mail", "NOT EQUALS", "x", False),
        ("mail", "NOT REGEX MATCH", "x", False),
        ("mail", "!&", "x", False),
        ("extensionAttribute1", "NOT EQUALS", "x", False),
        ("DEPARTMENT", "EQUALS", "Sales", True),  # attribute names are case-insensitive
    ],
)
def test_operator(attribute: str, operator: str, value: str | int | None, expected: bool) -> None:
    assert clause(attribute, operator, value).matches(ANA) is expected


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("equals", "EQUALS"),
        ("Not_Equals", "NOT EQUALS"),
        ("INCLUDES", "Includes"),
        ("ends with", "ENDS_WITH"),
        ("regex_match", "REGEX MATCH"),
        ("greater than or equals", "Greater_Than_OR_EQUALS"),
        ("GREATER_THAN", "Greater_Than"),
        ("is-not-null", "IS NOT NULL"),
        ("  is   true ", "IS TRUE"),
    ],
)
def test_operator_spellings(spelling: str, canonical: str) -> None:
    assert clause("employeeId", spelling, "7").operator == canonical
    assert canonical in OPERATORS


def test_clauses_are_anded_and_filters_ored() -> None:
    sales_lisbon = ScopingFilter(
        clauses=(clause("department", "EQUALS", "Sales"), clause("city", "EQUALS", "Lisboa"))
    )
    sales_berlin = ScopingFilter(
        clauses=(clause("department", "EQUALS", "Sales"), clause("city", "EQUALS", "Berlin"))
    )
    engineering = ScopingFilter(clauses=(clause("department", "EQUALS", "Engineering"),))
    assert in_scope(ANA, [])
    assert in_scope(ANA, [sales_lisbon])
    assert not in_scope(ANA, [sales_berlin])
    assert in_scope(ANA, [sales_berlin, engineering, sales_lisbon])
    assert not in_scope(ANA, [sales_berlin, engineering])


def test_bad_clauses_fail_when_built() -> None:
    with pytest.raises(pydantic.ValidationError, match="unknown scoping operator 'LIKE'"):
        clause("department", "LIKE", "x")
    with pytest.raises(pydantic.ValidationError, match="bad regular expression"):
        clause("department", "REGEX MATCH", "(")
    with pytest.raises(pydantic.ValidationError, match="needs a value"):
        clause("department", "EQUALS")
    with pytest.raises(pydantic.ValidationError, match="needs an integer"):
        clause("employeeId", "Greater_Than", "many")
    with pytest.raises(pydantic.ValidationError):
        ScopingFilter(clauses=())


def test_compile_filters_names_filter_and_clause_for_every_problem() -> None:
    good = ScopingFilter(clauses=(clause("department", "EQUALS", "Sales"),), name="sales")
    with pytest.raises(ScopingError) as caught:
        compile_filters(
            [
                good,
                {
                    "clauses": [
                        {"attribute": "city", "operator": "IS NULL"},
                        {"attribute": "x", "operator": "SOUNDS LIKE", "value": "y"},
                    ]
                },
                {
                    "name": "titles",
                    "clauses": [
                        {"attribute": "jobTitle", "operator": "REGEX MATCH", "value": "[a-"}
                    ],
                },
            ]
        )
    problems = caught.value.problems
    assert len(problems) == 2
    assert problems[0].startswith(
        "scoping_filters[1] clause 2 (x SOUNDS LIKE y): unknown scoping operator"
    )
    assert problems[1].startswith(
        "scoping_filters[2] (titles) clause 1 (jobTitle REGEX MATCH [a-): bad regular"
    )
    compiled = compile_filters([good, {"clauses": [{"attribute": "city", "operator": "is null"}]}])
    assert compiled[0] is good and compiled[1].clauses[0].operator == "IS NULL"


def test_clause_text() -> None:
    assert str(clause("department", "equals", "Sales")) == "department EQUALS 'Sales'"
    assert str(clause("mail", "is null")) == "mail IS NULL"
