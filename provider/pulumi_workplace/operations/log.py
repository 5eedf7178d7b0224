"""The provisioning log: one JSON object per line per account and action (JSON Lines).

Several provider worker threads, and sometimes several processes, append to the same file, so
every record is one `os.write` on a file opened with O_APPEND, and `record` returns only once
the record is on disk (fsync). Threads that finish at the same time share one fsync (group
commit): with one fsync per record under the lock, the provider's four threads took turns at
the disk, a quarter of a 3,000-account create's provider time.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pulumi_workplace._masking import Masker
from pulumi_workplace.errors import WorkplaceError

__all__ = [
    "REDACTED",
    "Action",
    "Change",
    "LogFormatError",
    "LogRecord",
    "LogScan",
    "ProvisioningLog",
    "Status",
    "read_log",
    "scan_log",
]

_LOG = logging.getLogger("pulumi_workplace.operations")

Action = Literal[
    "create",
    "adopt",
    "update",
    "deactivate",
    "reactivate",
    "delete",
    "retain",
    "skip",
    "failure",
    "guard",
    "paused",
    "not_kept",
    "unmanaged",
]
Status = Literal["success", "failure", "skipped", "warning"]

ACTIONS: tuple[str, ...] = get_args(Action)
STATUSES: tuple[str, ...] = get_args(Status)
REDACTED = "[redacted]"

# Error texts can quote whole response bodies; a bounded line keeps the log readable.
_ERROR_LIMIT = 2000


class LogFormatError(WorkplaceError, ValueError):
    """A line in the middle of a provisioning log is not a log record."""


class Change(BaseModel):
    """One modified attribute: its SCIM path, old value and new value."""

    model_config = ConfigDict(frozen=True)

    attribute: str
    old: Any = None
    new: Any = None


class LogRecord(BaseModel):
    """One line of the provisioning log."""

    model_config = ConfigDict(frozen=True)

    time: datetime
    stack: str
    run_id: str
    person: str | None = None
    workplace_id: str | None = None
    action: Action
    status: Status
    changes: list[Change] = Field(default_factory=list)
    http_status: int | None = None
    error: str | None = None
    duration_ms: float | None = None


class LogScan(BaseModel):
    """What `scan_log` read: the records and the numbers of lines it could not read."""

    records: list[LogRecord]
    bad_lines: list[int] = Field(default_factory=list)


def _normalised_path(attribute: str) -> str:
    """Lower-case path without its URN: "urn:...:User:employeeNumber" -> "employeenumber"."""
    path = attribute.strip()
    if path.lower().startswith("urn:"):
        head = path.split("[", 1)[0]
        path = path[head.rfind(":") + 1 :]
    return path.lower()


def _redacted_attribute(attribute: str, names: frozenset[str]) -> bool:
    # "phoneNumbers" also covers `phoneNumbers[type eq "work"].value` and `phoneNumbers.value`.
    path = _normalised_path(attribute)
    return any(path == name or path.startswith((name + "[", name + ".")) for name in names if name)


def _jsonable(value: Any) -> Any:
    # Values are logged as JSON; anything else (dates, models, sets) becomes its string form.
    return json.loads(json.dumps(value, default=str))


class ProvisioningLog:
    """Appends provisioning records to a JSON Lines file; safe across threads and processes.

    Values of attributes named in `redact` are written as "[redacted]"; every literal value in
    `secrets` (token, SMTP password) and every string that looks like a bearer token is
    masked wherever it occurs in a record.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        stack: str,
        run_id: str,
        redact: Collection[str] = (),
        secrets: Collection[str] = (),
    ) -> None:
        self.path = Path(path)
        self.stack = stack
        self.run_id = run_id
        self._redact = frozenset(_normalised_path(name) for name in redact)
        self._masker = Masker(secrets)
        self._lock = threading.Lock()  # one writer at a time: whole lines, in order
        self._sync_lock = threading.Lock()  # one fsync at a time, shared by whoever waits
        self._fd: int | None = None
        self._stale: list[int] = []
        self._written = 0  # records written to the file by this object
        self._durable = 0  # records known to be on disk
        self._repaired = False

    def __repr__(self) -> str:
        return f"ProvisioningLog(path={str(self.path)!r}, stack={self.stack!r})"

    def record(
        self,
        action: Action,
        *,
        person: str | None,
        workplace_id: str | None,
        status: Status,
        changes: Mapping[str, tuple[Any, Any]] | None = None,
        http_status: int | None = None,
        error: str | None = None,
        duration_ms: float | None = None,
    ) -> LogRecord:
        """Append one record and return it as written (redacted and masked)."""
        if action not in ACTIONS:
            raise ValueError(f"unknown log action {action!r}; expected one of {ACTIONS}")
        if status not in STATUSES:
            raise ValueError(f"unknown log status {status!r}; expected one of {STATUSES}")
        mask = self._masker
        entries = [
            Change(
                attribute=mask.text(str(attribute)),
                old=self._value(str(attribute), old),
                new=self._value(str(attribute), new),
            )
            for attribute, (old, new) in (changes or {}).items()
        ]
        if error is not None:
            error = mask.text(error)
            if len(error) > _ERROR_LIMIT:
                error = error[: _ERROR_LIMIT - 1] + "…"
        entry = LogRecord(
            time=datetime.now(UTC),
            stack=mask.text(self.stack),
            run_id=mask.text(self.run_id),
            person=mask.text(person) if person is not None else None,
            workplace_id=mask.text(workplace_id) if workplace_id is not None else None,
            action=action,
            status=status,
            changes=entries,
            http_status=http_status,
            error=error,
            duration_ms=round(duration_ms, 1) if duration_ms is not None else None,
        )
        self._append(entry)
        return entry

    def _value(self, attribute: str, value: Any) -> Any:
        # None stays None so the log still shows that a redacted value was set or cleared.
        if value is not None and _redacted_attribute(attribute, self._redact):
            return REDACTED
        return self._masker.value(_jsonable(value))

    def _append(self, entry: LogRecord) -> None:
        line = json.dumps(entry.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))
        data = (line + "\n").encode("utf-8")
        with self._lock:
            fd = self._open()
            if not self._repaired:
                # A writer that died mid-line left no newline; start ours on a fresh line.
                if _ends_torn(fd):
                    data = b"\n" + data
                self._repaired = True
            written = os.write(fd, data)
            while written < len(data):  # a short write only on a full disk or a signal
                written += os.write(fd, data[written:])
            self._written += 1
            mine = self._written
        self._sync(fd, mine)

    def _open(self) -> int:
        """The log's descriptor, reopened when the file was moved or deleted meanwhile."""
        if self._fd is not None:
            try:
                if os.fstat(self._fd).st_nlink > 0 and self.path.exists():
                    return self._fd
            except OSError:
                pass
            # Not closed yet: a thread may still be about to fsync it (closed in `close`).
            self._stale.append(self._fd)
            self._fd = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # 0o600: the log names people. Read access is for the torn-line check.
        self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        return self._fd

    def _sync(self, fd: int, record: int) -> None:
        """Return once record number `record` is on disk; one fsync covers all written so far."""
        with self._sync_lock:
            if self._durable >= record:
                return  # another thread's fsync, started after our write, covered it
            with self._lock:
                upto = self._written
            os.fsync(fd)
            self._durable = upto

    def close(self) -> None:
        """Close the file (records are already on disk)."""
        with self._lock:
            for fd in [*self._stale, *([self._fd] if self._fd is not None else [])]:
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._fd, self._stale = None, []


def _ends_torn(fd: int) -> bool:
    if os.fstat(fd).st_size == 0:
        return False
    # Seeking does not matter for the write that follows: O_APPEND always writes at the end.
    os.lseek(fd, -1, os.SEEK_END)
    return os.read(fd, 1) != b"\n"


def scan_log(path: str | Path, *, run_id: str | None = None) -> LogScan:
    """Read a provisioning log, skipping (and listing) lines that are not records.

    A torn last line, left by a writer that is still appending or that died, is skipped
    silently. Raises FileNotFoundError when the file does not exist.
    """
    records: list[LogRecord] = []
    bad: list[int] = []
    raw = Path(path).read_bytes()
    lines = raw.split(b"\n")
    last = len(lines)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = LogRecord.model_validate_json(line)
        except ValidationError:
            if number == last:  # no newline after it: still being written, or torn
                continue
            bad.append(number)
            continue
        if run_id is None or entry.run_id == run_id:
            records.append(entry)
    if bad:
        _LOG.warning("%s: skipped %d unreadable line(s): %s", path, len(bad), _numbers(bad))
    return LogScan(records=records, bad_lines=bad)


def read_log(
    path: str | Path, *, run_id: str | None = None, strict: bool = False
) -> list[LogRecord]:
    """The records of a provisioning log, optionally only those of one run.

    A torn last line is always tolerated; with `strict`, any other unreadable line raises
    LogFormatError, else it is skipped with a warning on the `pulumi_workplace.operations`
    logger.
    """
    scan = scan_log(path, run_id=run_id)
    if strict and scan.bad_lines:
        raise LogFormatError(f"{path}: unreadable line(s) {_numbers(scan.bad_lines)}")
    return scan.records


def _numbers(numbers: Iterable[int], limit: int = 10) -> str:
    listed = list(numbers)
    shown = ", ".join(str(n) for n in listed[:limit])
    return shown + (f" and {len(listed) - limit} more" if len(listed) > limit else "")
