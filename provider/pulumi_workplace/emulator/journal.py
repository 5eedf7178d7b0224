"""Durable storage of the emulator state in one append-only JSON-lines file.

The first line is a header with the id counter, each further line records one write: the
whole user after a create or an update, or the id of a deleted user. Appends are flushed and
fsynced before the write is acknowledged; the file is compacted (rewritten with one line per
live user) when the emulator starts and stops, so replay stays short.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

_FORMAT = "pulumi-workplace-emulator"
_VERSION = 1


class JournalError(Exception):
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

    def load(self) -> JournalState:
        """Replay the file; a missing file is an empty state.

        A last line cut short by a crash is skipped: its write was never acknowledged.
        """
        state = JournalState()
        if not self.path.exists():
            return state
        lines = self.path.read_bytes().split(b"\n")
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as error:
                if number == len(lines):
                    break
                raise JournalError(f"{self.path}:{number}: not JSON") from error
            self._apply(state, record, number)
        return state

    def _apply(self, state: JournalState, record: Any, number: int) -> None:
        if not isinstance(record, dict):
            raise JournalError(f"{self.path}:{number}: not a JSON object")
        if "format" in record:
            if record["format"] != _FORMAT or record.get("version") != _VERSION:
                raise JournalError(f"{self.path}: not a version {_VERSION} emulator data file")
            state.next_id = max(state.next_id, int(record.get("next_id", 0)))
        elif "put" in record:
            user = record["put"]
            state.users[str(user["id"])] = user
            if str(user["id"]).isdigit():
                state.next_id = max(state.next_id, int(user["id"]) + 1)
        elif "delete" in record:
            state.users.pop(str(record["delete"]), None)
        else:
            raise JournalError(f"{self.path}:{number}: unknown record")

    def compact(self, state: JournalState) -> None:
        """Rewrite the file as a header and one line per user, atomically, and reopen it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        with self._lock:
            self._close_file()
            with temporary.open("wb") as out:
                out.write(_dumps({"format": _FORMAT, "version": _VERSION, "next_id": state.next_id}))
                for user in state.users.values():
                    out.write(_dumps({"put": user}))
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
            self._fsync_directory()
            self._file = self.path.open("ab")

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
                raise JournalError("journal is closed")
            self._file.write(data)
            self._file.flush()
            os.fsync(self._file.fileno())

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
