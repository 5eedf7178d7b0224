"""Durable storage of the emulator state in one append-only JSON-lines file.

The first line is a header with the id counter; each further line records one write: the
whole user after a create or an update, or the id of a deleted user. Appends are flushed and
fsynced before the write is acknowledged. When the emulator starts and stops, a file holding
superseded records is compacted (rewritten with one line per live user), so replay stays short.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from pulumi_workplace.errors import WorkplaceError

_FORMAT = "pulumi-workplace-emulator"
_VERSION = 1


class JournalError(WorkplaceError):
    """The data file cannot be read as an emulator journal."""


@dataclass
class JournalState:
    """What a journal replays to: the live users by id and the next id to hand out."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 0


def _dumps(record: dict[str, Any]) -> bytes:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


class Journal:
    """An append-only JSON-lines file holding the users of the emulator."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: BinaryIO | None = None
        self._lock = threading.Lock()
        self._records = 0  # put and delete lines in the file
        self._appendable = False  # the file exists, has a header and ends with a full line

    def load(self) -> JournalState:
        """Replay the file; a missing file is an empty state.

        A last line cut short by a crash is skipped: its write was never acknowledged.
        """
        state = JournalState()
        self._records = 0
        self._appendable = False
        if not self.path.exists():
            return state
        data = self.path.read_bytes()
        lines = data.split(b"\n")
        header = False
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as error:
                if number == len(lines):
                    break  # torn tail: not appendable, compaction drops it
                raise JournalError(f"{self.path}:{number}: not JSON") from error
            header = self._apply(state, record, number) or header
        self._appendable = header and data.endswith(b"\n")
        return state

    def _apply(self, state: JournalState, record: Any, number: int) -> bool:
        """Apply one record; return whether it was the header."""
        if not isinstance(record, dict):
            raise JournalError(f"{self.path}:{number}: not a JSON object")
        if "format" in record:
            if record["format"] != _FORMAT or record.get("version") != _VERSION:
                raise JournalError(f"{self.path}: not a version {_VERSION} emulator data file")
            state.next_id = max(state.next_id, int(record.get("next_id", 0)))
            return True
        if "put" in record:
            user = record["put"]
            user_id = str(user["id"])
            state.users[user_id] = user
            if user_id.isdigit():
                state.next_id = max(state.next_id, int(user_id) + 1)
        elif "delete" in record:
            state.users.pop(str(record["delete"]), None)
        else:
            raise JournalError(f"{self.path}:{number}: unknown record")
        self._records += 1
        return False

    def needs_compaction(self, live_users: int) -> bool:
        """Tell whether the file must or should be rewritten before use or after it.

        It must when it is missing or ends with a torn line; it should when it holds records
        superseded by later ones.
        """
        return not self._appendable or self._records > live_users

    def open(self) -> None:
        """Open the loaded file for appends, as it is."""
        with self._lock:
            if not self._appendable:
                raise JournalError(f"{self.path}: compact the file before appending to it")
            self._close_file()
            self._file = self.path.open("ab")

    def compact(self, state: JournalState) -> None:
        """Rewrite the file as a header and one line per user, atomically, and reopen it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        with self._lock:
            self._close_file()
            with temporary.open("wb") as out:
                out.write(
                    _dumps({"format": _FORMAT, "version": _VERSION, "next_id": state.next_id})
                )
                for user in state.users.values():
                    out.write(_dumps({"put": user}))
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
            self._fsync_directory()
            self._file = self.path.open("ab")
            self._records = len(state.users)
            self._appendable = True

    def put(self, user: dict[str, Any]) -> None:
        """Record the current state of a user, durably."""
        self._append({"put": user})

    def delete(self, user_id: str) -> None:
        """Record the deletion of a user, durably."""
        self._append({"delete": user_id})

    def _append(self, record: dict[str, Any]) -> None:
        data = _dumps(record)
        with self._lock:
            if self._file is None:
                raise JournalError("the journal is closed")
            self._file.write(data)
            self._file.flush()
            os.fsync(self._file.fileno())
            self._records += 1

    def close(self) -> None:
        """Close the file; later appends fail."""
        with self._lock:
            self._close_file()

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _fsync_directory(self) -> None:
        # The rename is only durable once the directory entry is on disk.
        descriptor = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
