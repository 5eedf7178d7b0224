"""workEmail is checked by email-validator (syntax only: no DNS, no network), in `User.check`."""

from __future__ import annotations

import socket
import time
import unicodedata
from typing import Any

import email_validator.deliverability
import pytest

from pulumi_workplace.resources._user_validation import UNKNOWN, check_user

INVALID = "workEmail is not a valid e-mail address"


def _failures(value: Any, **extra: Any) -> list[tuple[str, str]]:
    _, failures = check_user({"userName": "ana@contoso.com", "workEmail": value, **extra})
    return [(f.property, f.reason) for f in failures]


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any DNS look-up or connection fails the test: validation must never need one."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("e-mail validation tried to use the network")

    # The deliverability check (DNS, through dnspython) is the library's only network use.
    monkeypatch.setattr(email_validator.deliverability, "validate_email_deliverability", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "sendto", refuse)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("a@b_c.com", "invalid characters: '_'"),
        ("a@b", "should have a period"),
        ("a b@c.com", "SPACE"),
        ("@c.com", "something before the @-sign"),
        ("a@@c.com", "invalid characters: '@'"),
        ("ana@", "something after the @-sign"),
        ("ana.contoso.com", "must have an @-sign"),
        ("ana..lima@contoso.com", "two periods in a row"),
        ("ana@contoso.com.", "cannot end with a period"),
        ("ana@-contoso.com", "hyphen"),
        ("Ana <ana@contoso.com>", "display name"),
        ('"ana lima"@contoso.com', "quoting"),
        ("ana@[10.0.0.1]", "bracketed IP address"),
        ("ana@10.0.0.1", "top-level domain"),
        ("ana@corp.local", "special-use or reserved name"),
        ("ana@contoso.test", "special-use or reserved name"),
        ("ana\u200b@contoso.com", "ZERO WIDTH SPACE"),
        ("ana\u00a0lima@contoso.com", "NO-BREAK SPACE"),
        ("ana@contoso.com\u200f", "RIGHT-TO-LEFT MARK"),
        ("ana@" + "d" * 250 + ".com", "too long"),
    ],
)
def test_invalid_addresses_are_refused_with_the_reason(value: str, why: str) -> None:
    ((prop, reason),) = _failures(value)
    # Property "" keeps the engine from echoing the raw value, as for every value check.
    assert prop == ""
    assert reason.startswith(f"{INVALID}: ")
    assert why in reason


@pytest.mark.parametrize(
    "value",
    [
        "ana@contoso.com",
        "ana.o'neil@contoso.com",
        "siobhan.o'connor@contoso.com",
        "ana+tag@contoso.co.uk",
        "ANA.LIMA@CONTOSO.COM",
        "o'brien'or'1'='1@contoso.com",
        "=cmd|calc@contoso.com",
        "user_name-1@sub.contoso-ltd.com",
        "AdeleV@M365x214355.onmicrosoft.com",
        "ana@example.com",
        "ana@zoë.de",
        # Internationalised local parts (RFC 6531) are accepted, as the directory accepts them.
        "zoë@contoso.com",
        "Zoë.Ångström@例え.jp",
    ],
)
def test_valid_addresses_pass_unchanged(value: str) -> None:
    inputs, failures = check_user({"userName": "ana@contoso.com", "workEmail": value})
    assert failures == []
    assert inputs["workEmail"] == value


def test_a_decomposed_address_is_valid_and_stored_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "zoë@contoso.com")
    assert decomposed != "zoë@contoso.com"
    inputs, failures = check_user({"userName": "ana@contoso.com", "workEmail": decomposed})
    assert failures == []
    assert inputs["workEmail"] == "zoë@contoso.com"


def test_create_only_values_are_checked_the_same_way() -> None:
    _, failures = check_user({"userName": "ana@contoso.com", "createOnly": {"workEmail": "a@b"}})
    assert [(f.property, f.reason.split(":")[0]) for f in failures] == [
        ("createOnly", f"createOnly.{INVALID}")
    ]


def test_absent_unknown_and_non_string_values() -> None:
    assert _failures(None) == []
    assert _failures(UNKNOWN) == []
    assert _failures(42) == [("", "workEmail must be a string, not int")]
    # Control characters keep their own, earlier message.
    assert _failures("ana@contoso.com\n") == [("", "workEmail contains a control character")]


def test_the_reason_does_not_echo_the_value() -> None:
    token = "wprel-TOKEN-9f41c2d7"
    ((_, reason),) = _failures(f"{token} x@contoso.com")
    assert "SPACE" in reason
    assert token not in reason and "x@contoso.com" not in reason


def test_ten_thousand_addresses_validate_quickly() -> None:
    # check_user runs for every account at preview; the syntax check is tens of microseconds.
    users = [
        {"userName": f"u{i}@contoso.com", "workEmail": f"user{i:05d}.o'neil+t@contoso{i % 13}.com"}
        for i in range(10_000)
    ]
    started = time.perf_counter()
    assert all(not check_user(user)[1] for user in users)
    assert time.perf_counter() - started < 15.0
