"""Filter quoting: no value can change the shape of the filter."""

from __future__ import annotations

import json

import pytest

from pulumi_workplace.scim import ENTERPRISE_URN, eq_filter

HOSTILE = [
    'a"b@example.com',
    "back\\slash@example.com",
    '\\"',
    '" or userName pr or userName eq "',
    'x") or (userName pr',
    "trailing\\",
    '"',
    "",
    "Zoë.Ångström@例え.jp",
    "emoji😀@example.com",
    "new\nline",
    "nul\x00byte",
    "tab\tand\rcr\x1b[31m",
    "\u2028separator\u2029",
    "del\x7fchar",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_value_is_one_json_string_literal(value: str) -> None:
    expression = eq_filter("userName", value)
    attribute, operator, literal = expression.split(" ", 2)
    assert (attribute, operator) == ("userName", "eq")
    # json.loads fails on anything after the closing quote, so the literal is exactly one
    # string and decodes back to the value: nothing leaked into the expression.
    assert json.loads(literal) == value
    assert literal.startswith('"') and literal.endswith('"')


@pytest.mark.parametrize("value", HOSTILE)
def test_no_unescaped_quote_inside_the_literal(value: str) -> None:
    literal = eq_filter("userName", value).split(" ", 2)[2][1:-1]
    index = 0
    while index < len(literal):
        if literal[index] == "\\":
            index += 2
            continue
        assert literal[index] != '"'
        assert ord(literal[index]) >= 0x20  # control characters are escaped
        index += 1


def test_plain_value() -> None:
    assert eq_filter("externalId", "E-1") == 'externalId eq "E-1"'
    assert eq_filter("userName", 'a"b\\c') == 'userName eq "a\\"b\\\\c"'


@pytest.mark.parametrize(
    "attribute",
    [
        "userName",
        "externalId",
        "emails.value",
        f"{ENTERPRISE_URN}:employeeNumber",
        "name.givenName",
    ],
)
def test_safe_attributes_accepted(attribute: str) -> None:
    assert eq_filter(attribute, "v").startswith(attribute + " eq ")


@pytest.mark.parametrize(
    "attribute",
    [
        "",
        'userName eq "x" or userName',
        "userName pr or id",
        'userName"',
        'emails[type eq "work"].value',
        "user name",
        "userName)",
        "1userName",
        "a.b.c",
        "userName\n",
        "x" * 300,
    ],
)
def test_unsafe_attributes_rejected(attribute: str) -> None:
    with pytest.raises(ValueError, match="filterable"):
        eq_filter(attribute, "v")


def test_non_string_and_invalid_unicode_values_rejected() -> None:
    with pytest.raises(TypeError):
        eq_filter("userName", 5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Unicode"):
        eq_filter("userName", "lone\ud800surrogate")
