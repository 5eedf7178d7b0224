"""Safety nets and the audit trail through the real CLI: guard, pause, log, notifications,
circuit breaker, provision on demand."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from aiosmtpd.controller import Controller

from e2e.test_provisioning_cli import ROOT_PROGRAM, accounts, configure, directory
from operations.operations_helpers import Collector, SmtpServer, WebhookReceiver, free_port

pytestmark = pytest.mark.cli


@pytest.fixture
def smtp():
    server = SmtpServer("127.0.0.1", free_port())
    controller = Controller(Collector(server), hostname=server.host, port=server.port)
    controller.start()
    yield server
    controller.stop()


@pytest.fixture
def webhook():
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


def log_records(project) -> list[dict]:
    path = project.workdir / "provisioning-log.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def without_sales(doc: dict) -> dict:
    doc["groups"][0]["members"] = []  # Lena, Kai and Bob lose their assignment
    return doc


def test_deprovision_guard_blocks_then_one_run_approval(
    workplace_project, emulator, tmp_path, smtp, webhook
):
    project = workplace_project(ROOT_PROGRAM)
    configure(project, tmp_path, directory())
    project.config_set_objects(
        {
            "workplace:deprovisionThreshold": 2,
            "workplace:notifySmtpHost": "127.0.0.1",
            "workplace:notifySmtpPort": smtp.port,
            "workplace:notifySmtpSecurity": "none",
            "workplace:notifyFrom": "provisioning@contoso.com",
            "workplace:notifyTo": "it-admins@contoso.com",
            "workplace:notifyWebhookUrl": webhook.url(),
        }
    )
    project.up()
    configure(project, tmp_path, without_sales(directory()))

    emulator.reset_stats()
    for result in (project.preview(check=False), project.up(check=False)):
        output = result.stdout + result.stderr
        assert result.returncode != 0
        assert "3 accounts would be deactivated or deleted in this run" in output
        assert "limit of 2 (workplace:deprovisionThreshold)" in output
        assert "WORKPLACE_ALLOW_DEPROVISIONS=3" in output
    assert emulator.stats()["writes"] == 0
    assert all(a["active"] for a in emulator.users())
    assert smtp.messages, "no notification e-mail"
    assert b"WORKPLACE_ALLOW_DEPROVISIONS=3" in smtp.messages[-1].content
    assert webhook.requests[-1].body["event"] == "provisioning.guard_blocked"
    assert any(r["action"] == "guard" for r in log_records(project))

    # Approved for exactly this run.
    project.env["WORKPLACE_ALLOW_DEPROVISIONS"] = "3"
    project.up()
    inactive = sorted(u["userName"] for u in emulator.users() if not u["active"])
    assert inactive == ["bob@contoso.com", "kai@contoso.com", "lena@contoso.com"]


def test_paused_provisioning_previews_but_never_writes(workplace_project, emulator, tmp_path):
    project = workplace_project(ROOT_PROGRAM)
    configure(project, tmp_path, directory())
    project.config_set("workplace:provisioningStatus", "off")
    preview = project.preview()
    assert "+ 6 to create" in preview.stdout
    assert "provisioning is paused" in preview.stdout
    result = project.up(check=False)
    assert result.returncode != 0
    assert "provisioning is paused" in result.stdout + result.stderr
    assert emulator.stats()["writes"] == 0 and emulator.users() == []
    project.config_set("workplace:provisioningStatus", "on")
    project.up()
    assert len(emulator.users()) == 4


def test_provisioning_log_and_report(workplace_project, emulator, tmp_path):
    project = workplace_project(ROOT_PROGRAM)
    configure(project, tmp_path, directory())
    project.up()
    configure(project, tmp_path, directory(dept_of_lena="Marketing", bob_in_sales=False))
    project.up()

    records = log_records(project)
    actions = [r["action"] for r in records]
    assert actions.count("create") == 4
    assert "deactivate" in actions and "update" in actions
    update = next(r for r in records if r["action"] == "update")
    assert update["person"] == "lena@contoso.com"
    assert {"attribute": "department", "old": "Sales", "new": "Marketing"} in update["changes"]
    assert all(r["stack"] == project.stack and r["workplace_id"] for r in records)
    assert len({r["run_id"] for r in records}) == 2

    report = subprocess.run(
        [
            sys.executable,
            "-m",
            "pulumi_workplace.cli",
            "report",
            "provisioning-log.jsonl",
            "--format",
            "markdown",
        ],
        cwd=project.workdir,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "| create" in report.stdout and "| deactivate" in report.stdout


def test_failures_are_logged_and_notified(workplace_project, emulator, tmp_path, webhook):
    project = workplace_project(ROOT_PROGRAM)
    configure(project, tmp_path, directory())
    project.config_set("workplace:notifyWebhookUrl", webhook.url())
    project.config_set("workplace:retryDeadline", "2")
    project.up()
    configure(project, tmp_path, directory(dept_of_lena="Marketing"))
    emulator.set_faults(error_rate=1.0, methods=frozenset({"PATCH"}))
    result = project.up(check=False)
    assert result.returncode != 0
    failures = [r for r in log_records(project) if r["status"] == "failure"]
    assert failures and failures[0]["person"] == "lena@contoso.com"
    assert failures[0]["http_status"] in (500, 503)
    assert webhook.requests, "no failure notification"
    assert webhook.requests[-1].body["event"] == "provisioning.failed"


def test_circuit_breaker_stops_writes(workplace_project, emulator, tmp_path):
    project = workplace_project(ROOT_PROGRAM)
    # No manager links, so every account is independent and all of them are attempted.
    configure(project, tmp_path, directory(), mappings=[{"target": "managerId", "type": "none"}])
    project.config_set_objects(
        {
            "workplace:circuitBreakerMinOperations": 2,
            "workplace:circuitBreakerFailurePercent": 40,
            "workplace:retryDeadline": 1,
        }
    )
    emulator.set_faults(error_rate=1.0, methods=frozenset({"POST"}))
    result = project.up("--parallel", "1", "--continue-on-error", check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "operations failed in this run" in output and "not attempted" in output
    records = log_records(project)
    assert [r["action"] for r in records].count("failure") == 2
    assert [r["action"] for r in records].count("skip") == 2  # refused without a request
    assert emulator.users() == []


def test_provision_on_demand_applies_one_person(workplace_project, emulator, tmp_path):
    project = workplace_project(ROOT_PROGRAM)
    configure(project, tmp_path, directory())
    project.up()
    grown = directory(dept_of_lena="Marketing")
    grown["people"].append(
        {
            **grown["people"][2],
            "id": "mia",
            "userPrincipalName": "mia@contoso.com",
            "mail": "mia@contoso.com",
            "mailNickname": "mia",
            "givenName": "Mia",
        }
    )
    grown["groups"][0]["members"].append("mia@contoso.com")
    configure(project, tmp_path, grown)
    urn = subprocess.run(
        [
            sys.executable,
            "-m",
            "pulumi_workplace.cli",
            "urn",
            "mia@contoso.com",
            "--stack",
            project.stack,
        ],
        cwd=project.workdir,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    emulator.reset_stats()
    project.up("--target", urn)
    assert "mia@contoso.com" in accounts(emulator)
    assert emulator.stats()["writes"] == 1  # Lena's pending department change waits
