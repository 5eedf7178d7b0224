"""Helpers shared by the SCIM client tests (imported by name; tests/scim is on sys.path)."""

from __future__ import annotations

from typing import Any

from pulumi_workplace.scim import (
    Address,
    AuthMethod,
    Email,
    EnterpriseUser,
    Frontline,
    Name,
    PhoneNumber,
    ScimUser,
    StartTermDates,
    normalise,
)

# Distinctive, so a scan for it in messages and logs cannot match anything by accident.
TOKEN = "scim-test-token-7Qz4Kp9Xw2"

# Fast retries: the emulator's faults are instant, and the suite has a time budget.
FAST = {
    "backoff_initial": 0.002,
    "backoff_max": 0.02,
    "max_attempts": 25,
    "retry_deadline": 60.0,
    "timeout": 10.0,
}
# As quick for `create_or_adopt`'s lookups after a lost answer or a conflict.
FAST_LOOKUP = {"lookup_delay": 0.005}


def rich_user(index: int, *, prefix: str = "user") -> ScimUser:
    """A user with a value for every writable attribute family."""
    return ScimUser(
        user_name=f"{prefix}{index:04d}@example.com",
        external_id=f"ext-{prefix}-{index}",
        name=Name(
            formatted=f"Given{index} Family{index}",
            given_name=f"Given{index}",
            family_name=f"Family{index}",
        ),
        display_name=f"G{index} F{index}",
        title=f"Engineer {index % 7}",
        preferred_language="en_GB",
        locale="en_GB",
        timezone="Europe/London",
        active=True,
        emails=[Email(value=f"{prefix}{index:04d}@example.com", type="work", primary=True)],
        phone_numbers=[
            PhoneNumber(value=f"+44-20-7946-{index:04d}", type="work"),
            PhoneNumber(value=f"+44-7700-{index:06d}", type="mobile"),
        ],
        addresses=[Address(type="work", locality="London", country="GB", postal_code="N1 9GU")],
        enterprise=EnterpriseUser(
            department=f"Dept {index % 5}", cost_center=f"CC{index % 3}", employee_number=str(index)
        ),
        start_term_dates=StartTermDates(start_date=1_700_000_000 + index),
        auth_method=AuthMethod(auth_method="sso" if index % 2 else "password"),
        frontline=Frontline(is_frontline=index % 3 == 0),
    )


def stored_users(server: Any) -> list[ScimUser]:
    """Every user the emulator holds, read with the client's model."""
    return [ScimUser.from_wire(raw) for raw in server.users()]


def assert_stored_as_sent(sent: ScimUser, stored: ScimUser) -> None:
    """Every attribute `sent` manages has the same normalised value in `stored`."""
    wanted = normalise(sent)
    have = normalise(stored)
    assert {path: have.get(path) for path in wanted} == wanted
