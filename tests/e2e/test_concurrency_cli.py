"""`workplace:concurrency` through the real CLI: how many calls reach the service at once.

The emulator counts the requests it serves at the same time (`in_flight_peak`); with latency
every create holds a request open, so the peak is the provider's real concurrency. Timing
targets are benchmarks' (benchmarks/scale.py --latency-ms 200), not these tests'.
"""

from __future__ import annotations

import pytest
import yaml

from e2e.test_provisioning_cli import ROOT_PROGRAM

pytestmark = pytest.mark.cli


def _configure(project, tmp_path, people: int, concurrency: int | None) -> None:
    path = tmp_path / "directory.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "people": [
                    {
                        "id": f"p{i:03}",
                        "userPrincipalName": f"p{i:03}@contoso.com",
                        "givenName": f"P{i}",
                        "surname": "Test",
                        "department": f"D{i % 3}",
                    }
                    for i in range(people)
                ]
            }
        )
    )
    values = {
        "workplace:directory": {"format": "yaml", "path": str(path)},
        "workplace:scope": "all",
    }
    if concurrency is not None:
        values["workplace:concurrency"] = concurrency
    project.config_set_objects(values)


@pytest.mark.parametrize(("concurrency", "low", "high"), [(None, 2, 4), (16, 12, 16)])
def test_concurrency_sets_the_calls_in_flight(
    workplace_project, make_emulator, tmp_path, concurrency, low, high
):
    emulator = make_emulator(latency_ms=150)
    project = workplace_project(ROOT_PROGRAM)
    project.config_set("workplace:tenantUrl", emulator.url)
    _configure(project, tmp_path, 48, concurrency)
    emulator.reset_stats()
    project.up("--parallel", "32")
    stats = emulator.stats()
    assert stats["by_method_kind"]["POST users"] == 48
    assert low <= stats["in_flight_peak"] <= high, stats["in_flight_peak"]


def test_concurrency_32_under_throttling_makes_no_duplicates(
    workplace_project, make_emulator, tmp_path
):
    emulator = make_emulator(latency_ms=20, throttle_rate=0.3, retry_after=0.2)
    project = workplace_project(ROOT_PROGRAM)
    project.config_set("workplace:tenantUrl", emulator.url)
    _configure(project, tmp_path, 80, 32)
    project.config_set("workplace:retryDeadline", "300")
    project.up("--parallel", "32")
    stats = emulator.stats()
    assert stats["faults"]["throttle"] > 10  # the service really pushed back
    accounts = emulator.users()
    names = [u["userName"] for u in accounts]
    assert len(names) == 80 and len(set(names)) == 80
    assert all(u["active"] for u in accounts)
    departments = {u["userName"]: u[ENTERPRISE]["department"] for u in accounts}
    assert departments == {f"p{i:03}@contoso.com": f"D{i % 3}" for i in range(80)}
    emulator.set_faults(throttle_rate=0.0)
    # An engine running fewer steps at once than the provider may serve is pointed out.
    preview = project.preview("--expect-no-changes", "--parallel", "8")
    assert "run `pulumi up --parallel 32`" in preview.stdout + preview.stderr


ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
