"""Shards: one tenant's people split over K stacks by a stable hash, each person in exactly one.

`workplace:shard: {count: K, index: i, key: ATTRIBUTE}` makes a stack manage only the people in
scope whose shard is `i`. The shard of a person is a jump consistent hash (Lamping and Veach,
2014) of a SHA-256 of the key: the directory's immutable object id by default, or the named
source attribute. Jump hashing moves only about 1/K of the people when K grows by one, where a
plain modulo would move almost everyone.

Every shard reads the same directory and configuration, so each knows who belongs to another
shard: a person it managed who now hashes elsewhere is released (left as they are, never
deactivated for the move) and adopted by the new shard's create, whichever runs first.

`shard_digest` is what a stack exports after a complete run and what `pulumi-workplace shards
--changed` recomputes from the directory and the configuration alone: equal digests mean the
shard's desired state is the one its stack last applied.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from pulumi_workplace.directory import InputError, Person
from pulumi_workplace.directory.directory import Directory

__all__ = [
    "DEFAULT_KEY",
    "ShardError",
    "ShardSpec",
    "jump_hash",
    "shard_digest",
]

DEFAULT_KEY = "id"
"""The person's immutable directory id (Entra's objectId, the `id` column of a file)."""

_SETTING = "workplace:shard"


class ShardError(InputError):
    """`workplace:shard` is unusable; the message names the field at fault."""


def jump_hash(key: int, buckets: int) -> int:
    """Jump consistent hash: the bucket (0 .. buckets-1) of a 64-bit key."""
    bucket, jump = -1, 0
    while jump < buckets:
        bucket = jump
        key = (key * 2862933555777941757 + 1) % (1 << 64)
        jump = int((bucket + 1) * ((1 << 31) / ((key >> 33) + 1)))
    return bucket


def _key_number(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


class ShardSpec(BaseModel):
    """One stack's share of the tenant: shard `index` of `count`, hashed on `key`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    count: int = 1
    index: int = 0
    key: str = DEFAULT_KEY

    @classmethod
    def from_setting(cls, raw: Any, setting: str = _SETTING) -> ShardSpec:
        """The spec of a `workplace:shard` value (None: one shard, the whole tenant)."""
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise ShardError([f"{setting}: expected an object {{count, index, key}}"])
        problems: list[str] = []
        unknown = sorted(set(raw) - {"count", "index", "key"})
        if unknown:
            problems.append(f"{setting}: unknown field(s) {unknown}; expected count, index, key")
        count: Any = raw.get("count")
        index: Any = raw.get("index", 0)
        if not _whole(count) or int(count) < 1:
            problems.append(f"{setting}.count: expected a whole number of at least 1")
        elif not _whole(index) or not 0 <= int(index) < int(count):
            problems.append(f"{setting}.index: expected 0 to {int(count) - 1} (count is {count})")
        key = raw.get("key", DEFAULT_KEY)
        if not isinstance(key, str) or not key.strip():
            problems.append(f"{setting}.key: expected a source attribute name")
        if problems:
            raise ShardError(problems, summary=f"{setting}: {len(problems)} problem(s)")
        try:
            return cls(count=int(count), index=int(index), key=str(key).strip())
        except ValidationError as error:  # pragma: no cover - the checks above cover the model
            raise ShardError([f"{setting}: {error}"]) from None

    @property
    def sharded(self) -> bool:
        """More than one shard."""
        return self.count > 1

    @property
    def by_id(self) -> bool:
        return self.key == DEFAULT_KEY

    def key_of(self, person: Person) -> str:
        """The value hashed for `person` ("" when the key attribute is empty)."""
        if self.by_id:
            return person.id
        value = person.get(self.key)
        return "" if value is None else str(value)

    def shard_of(self, person: Person) -> int:
        """The shard `person` belongs to."""
        if self.count == 1:
            return 0
        return jump_hash(_key_number(self.key_of(person)), self.count)

    def shard_of_value(self, value: str) -> int:
        """The shard a value hashes to (accounts that match no person: by their id)."""
        if self.count == 1:
            return 0
        return jump_hash(_key_number(value), self.count)

    def layout(self) -> dict[str, Any]:
        """What the stack records and compares next run: a change of any part moves people."""
        return {"count": self.count, "index": self.index, "key": self.key}

    def key_problems(self, directory: Directory, setting: str = _SETTING) -> list[str]:
        """A key attribute the directory does not have (a typo must not put everyone in one
        shard)."""
        if self.by_id or self.key in directory.attribute_names:
            return []
        lowered = {name.lower(): name for name in directory.attribute_names}
        if self.key.lower() in lowered:
            return []
        close = directory.closest_attributes(self.key)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        return [f"{setting}.key: source attribute {self.key!r} is not in the directory{hint}"]


def _whole(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, int)


def person_digest(person: Person, role: str | None, manager_in_scope: bool | None) -> str:
    """What a person contributes to a shard's digest: the record, the role, and whether the
    manager is in scope (which decides whether their manager is written)."""
    payload = json.dumps(
        [person.id, sorted(person.attributes.items()), role, manager_in_scope],
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def shard_digest(spec: ShardSpec, fingerprint: str, people: Iterable[str]) -> str:
    """The digest of one shard's desired state: its layout, the settings' fingerprint and the
    sorted digests of its people (`person_digest`)."""
    hasher = hashlib.sha256()
    hasher.update(json.dumps([spec.count, spec.index, spec.key, fingerprint]).encode())
    for digest in sorted(people):
        hasher.update(digest.encode())
    return hasher.hexdigest()
