"""The corpus of bad inputs (tests/data/bad/<case>/case.yaml): every error names its culprit.

Each case loads a directory (its own files, or tests/data/bad/_shared), optionally builds
mapping overrides and a plan, and expects one error type whose message holds every fragment
listed under `expect`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_workplace.directory import Directory, DirectoryError
from pulumi_workplace.mapping import (
    Mapping,
    MappingError,
    ScopingError,
    default_mappings,
    merge_mappings,
)
from pulumi_workplace.planning import ProvisioningInputError, plan_provisioning

from .conftest import DATA

BAD = DATA / "bad"
SHARED = BAD / "_shared"
CASES = sorted(p for p in BAD.iterdir() if (p / "case.yaml").exists())
ERRORS: dict[str, type[Exception]] = {
    "DirectoryError": DirectoryError,
    "MappingError": MappingError,
    "ScopingError": ScopingError,
    "ProvisioningInputError": ProvisioningInputError,
}


def _load(case: Path, spec: dict[str, Any]) -> Directory:
    load = spec.get("load") or {
        "csv": str(SHARED / "people.csv"),
        "groups": str(SHARED / "groups.csv"),
    }
    limit = {"max_bytes": spec["max_bytes"]} if "max_bytes" in spec else {}
    if "csv" in load:
        groups = case / load["groups"] if "groups" in load else None
        return Directory.from_csv(case / load["csv"], groups, **limit)
    if "json" in load:
        return Directory.from_json(case / load["json"], **limit)
    return Directory.from_yaml(case / load["yaml"], **limit)


def _run(case: Path) -> None:
    spec = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))
    directory = _load(case, spec)
    overrides = [Mapping(**m) for m in spec.get("mappings", [])]
    mappings = merge_mappings(default_mappings(), overrides)
    plan = spec.get("plan")
    if plan is not None:
        plan_provisioning(directory, mappings=mappings, **plan)


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_reported_with_its_culprit(case: Path) -> None:
    spec = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))
    assert spec.get("description"), "every case says what it is about"
    with pytest.raises(ERRORS[spec["error"]]) as caught:
        _run(case)
    message = str(caught.value)
    for fragment in spec["expect"]:
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    # Each problem is also available on its own, and none is an empty line.
    assert all(problem.strip() for problem in caught.value.problems)  # type: ignore[attr-defined]
