"""Fixtures of the mission-logic tests: the data folder and the sample directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_workplace.directory import Directory, Person

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE = DATA / "sample"


@pytest.fixture(scope="session")
def sample() -> Directory:
    """The 50-person sample directory (CSV form)."""
    return Directory.from_csv(SAMPLE / "people.csv", SAMPLE / "groups.csv")


def person(upn: str, **attributes: str | bool | int | None) -> Person:
    """A person with id = userPrincipalName and the given attributes."""
    return Person(id=upn, attributes={"userPrincipalName": upn, **attributes})
