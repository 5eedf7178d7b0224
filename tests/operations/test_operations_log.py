"""The provisioning log: concurrent appends, redaction, secret masking, torn lines."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
import threading
from pathlib import Path

import pytest

from pulumi_workplace.operations import LogFormatError, ProvisioningLog, read_log, scan_log
from pulumi_workplace.operations.log import REDACTED

TOKEN = "EAAGtok3nValue0123456789abcdefXYZ"
SMTP_PASSWORD = "mail-Pa55word!"


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_record_has_every_field_and_creates_parent_folders(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "logs" / "provisioning.jsonl"
    log = ProvisioningLog(path, stack="prod", run_id="run-1")
    returned = log.record(
        "update",
        person="alice@contoso.com",
        workplace_id="100042",
        status="success",
        changes={"title": ("Engineer", "Lead"), "active": (False, True)},
        http_status=200,
        duration_ms=12.3456,
    )
    [line] = _lines(path)
    assert set(line) == {
        "time",
        "stack",
        "run_id",
        "person",
        "workplace_id",
        "action",
        "status",
        "changes",
        "http_status",
        "error",
        "duration_ms",
    }
    assert str(line["time"]).endswith("Z")
    assert line["changes"] == [
        {"attribute": "title", "old": "Engineer", "new": "Lead"},
        {"attribute": "active", "old": False, "new": True},
    ]
    assert line["duration_ms"] == 12.3
    assert (line["stack"], line["run_id"], line["action"]) == ("prod", "run-1", "update")
    assert read_log(path) == [returned]
    # The log names people: only the owner may read it.
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_unknown_action_or_status_is_refused(tmp_path: Path) -> None:
    log = ProvisioningLog(tmp_path / "log.jsonl", stack="s", run_id="r")
    with pytest.raises(ValueError, match="unknown log action"):
        log.record("destroy", person=None, workplace_id=None, status="success")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown log status"):
        log.record("create", person=None, workplace_id=None, status="ok")  # type: ignore[arg-type]


def test_concurrent_threads_never_interleave_lines(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    log = ProvisioningLog(path, stack="s", run_id="r")
    # Long values make a torn or interleaved write visible as a broken JSON line.
    filler = "x" * 3000

    def write(worker: int) -> None:
        for n in range(50):
            log.record(
                "create",
                person=f"user{worker}-{n}@contoso.com",
                workplace_id=str(n),
                status="success",
                changes={"displayName": (None, filler)},
            )

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = _lines(path)
    assert len(records) == 400
    assert len({r["person"] for r in records}) == 400
    assert scan_log(path).bad_lines == []


def _process_writer(path: str, worker: int) -> None:
    log = ProvisioningLog(path, stack="s", run_id=f"proc-{worker}")
    for n in range(40):
        log.record(
            "update",
            person=f"p{worker}-{n}",
            workplace_id=None,
            status="success",
            changes={"note": ("", "y" * 5000)},
        )


def test_concurrent_processes_never_interleave_lines(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_process_writer, args=(str(path), w)) for w in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    scan = scan_log(path)
    assert scan.bad_lines == []
    assert len(scan.records) == 160
    assert len(read_log(path, run_id="proc-2")) == 40


def test_redacted_attributes_and_secrets_never_reach_the_file(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    log = ProvisioningLog(
        path,
        stack="prod",
        run_id="r",
        redact=["phoneNumbers", "employeeNumber"],
        secrets=[TOKEN, SMTP_PASSWORD],
    )
    written = log.record(
        "update",
        person="bob@contoso.com",
        workplace_id="7",
        status="failure",
        changes={
            'phoneNumbers[type eq "work"].value': ("+1 555 0100", "+1 555 0199"),
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": (
                None,
                "E-4471",
            ),
            "displayName": ("Bob", f"Bob {TOKEN}"),
            "emails": ([], [{"value": f"x{SMTP_PASSWORD}y@contoso.com"}]),
        },
        http_status=500,
        error=(
            f"POST /Users failed: Authorization: Bearer {TOKEN} rejected; smtp login "
            f"with {SMTP_PASSWORD} failed; proxy echoed Bearer abcdef0123456789ghijk and "
            "a JWT eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl and ?access_token=zzz999"
        ),
    )
    text = path.read_text(encoding="utf-8")
    for secret in (TOKEN, SMTP_PASSWORD, "abcdef0123456789ghijk", "eyJhbGciOiJIUzI1NiJ9", "zzz999"):
        assert secret not in text
    assert "555 01" not in text and "E-4471" not in text
    changes = {c.attribute: c for c in written.changes}
    assert changes['phoneNumbers[type eq "work"].value'].old == REDACTED
    # None stays None: the log still shows that a redacted value was newly set.
    employee = changes["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"]
    assert (employee.old, employee.new) == (None, REDACTED)
    assert changes["displayName"].new == "Bob ***"
    assert written.error is not None and "Bearer ***" in written.error


def test_torn_last_line_is_skipped_and_the_next_writer_starts_a_new_line(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    log = ProvisioningLog(path, stack="s", run_id="r")
    log.record("create", person="a", workplace_id="1", status="success")
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"time":"2026-01-01T00:00:00Z","stack":"s","run_')  # a writer died here
    assert [r.person for r in read_log(path)] == ["a"]
    assert scan_log(path).bad_lines == []

    # A new writer (a later run) must not glue its record onto the torn fragment.
    ProvisioningLog(path, stack="s", run_id="r2").record(
        "update", person="b", workplace_id="2", status="success"
    )
    scan = scan_log(path)
    assert [r.person for r in scan.records] == ["a", "b"]
    assert scan.bad_lines == [2]
    with pytest.raises(LogFormatError, match="line"):
        read_log(path, strict=True)


def test_read_log_filters_by_run(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    for run in ("one", "two", "one"):
        ProvisioningLog(path, stack="s", run_id=run).record(
            "skip", person=run, workplace_id=None, status="skipped"
        )
    assert len(read_log(path, run_id="one")) == 2
    assert read_log(path, run_id="three") == []


def test_every_record_is_fsynced_before_record_returns_and_threads_share_fsyncs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "log.jsonl"
    log = ProvisioningLog(path, stack="s", run_id="r")
    real_fsync = os.fsync
    synced_sizes: list[int] = []
    unsynced_at_return: list[str] = []

    def slow_fsync(fd: int) -> None:
        threading.Event().wait(0.005)  # a disk that takes a moment, so writers overlap
        real_fsync(fd)
        synced_sizes.append(os.fstat(fd).st_size)

    monkeypatch.setattr(os, "fsync", slow_fsync)

    def write(worker: int) -> None:
        for n in range(25):
            log.record("create", person=f"w{worker}-{n}", workplace_id=None, status="success")
            size = path.stat().st_size
            # What record() wrote is covered by an fsync that ended after the write.
            line = f'"person":"w{worker}-{n}"'.encode()
            offset = path.read_bytes().find(line)
            if not any(s > offset for s in list(synced_sizes)) or size == 0:
                unsynced_at_return.append(f"w{worker}-{n}")

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.close()
    assert len(_lines(path)) == 100
    assert unsynced_at_return == []
    assert len(synced_sizes) < 100  # concurrent writers shared fsyncs


def test_a_log_moved_away_mid_run_is_recreated(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    log = ProvisioningLog(path, stack="s", run_id="r")
    log.record("create", person="first", workplace_id=None, status="success")
    path.rename(tmp_path / "rotated.jsonl")
    log.record("create", person="second", workplace_id=None, status="success")
    log.close()
    assert [r["person"] for r in _lines(path)] == ["second"]
    assert [r["person"] for r in _lines(tmp_path / "rotated.jsonl")] == ["first"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
