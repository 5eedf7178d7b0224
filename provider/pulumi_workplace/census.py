"""Account census: every account in the tenant in exactly one class.

Mission logic, no Pulumi and no SCIM wire: the accounts arrive as `TenantAccount` records
(listed once by the caller), the people as the directory. An account is

- `managed`: this stack manages it (its state holds the account);
- `other_shard`: another shard's stack of the same project manages it;
- `not_managed`: it matches a person in scope, but no stack manages it yet (the next run adopts
  it, in the person's shard);
- `out_of_scope`: it matches a person in the directory who is out of scope;
- `no_person`: it matches no person in the directory: leavers, test users, accounts made by
  hand or by an old integration.

An account matches a person when its `userName` equals the person's mapped `userName`, their
userPrincipalName or mail, or its `externalId` equals the person's mapped `externalId` or
directory id (any case: the index over-approximates what a server's matching would find).
The first of these classes that applies is given.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from pulumi_workplace.directory import Directory, InputError, Person
from pulumi_workplace.mapping.errors import MappingError
from pulumi_workplace.mapping.evaluate import MappingSet, evaluate_mappings
from pulumi_workplace.mapping.model import Mapping as AttributeMapping
from pulumi_workplace.sharding import ShardSpec

__all__ = [
    "CLASSES",
    "CLASS_TITLES",
    "AccountClass",
    "Census",
    "CensusEntry",
    "KeepPatterns",
    "KeepPatternsError",
    "PeopleIndex",
    "TenantAccount",
    "take_census",
]

AccountClass = Literal["managed", "other_shard", "not_managed", "out_of_scope", "no_person"]
CLASSES: tuple[AccountClass, ...] = (
    "managed",
    "other_shard",
    "not_managed",
    "out_of_scope",
    "no_person",
)
CLASS_TITLES: dict[AccountClass, str] = {
    "managed": "Managed by this stack",
    "other_shard": "Managed by another shard",
    "not_managed": "Matches a person in scope, not managed yet",
    "out_of_scope": "Matches a person out of scope",
    "no_person": "Matches no person in the directory",
}


class TenantAccount(BaseModel):
    """One account as the tenant listed it."""

    model_config = ConfigDict(frozen=True)

    id: str
    user_name: str | None = None
    external_id: str | None = None
    active: bool | None = None
    invited: bool | None = None
    claimed: bool | None = None

    @property
    def label(self) -> str:
        """How messages name it: the userName, else the id."""
        return self.user_name or f"id {self.id}"


class CensusEntry(BaseModel):
    """An account, its class, and the person it matches (when one does)."""

    model_config = ConfigDict(frozen=True)

    account: TenantAccount
    account_class: AccountClass
    person_id: str | None = None
    person: str | None = None
    """The matched person's userPrincipalName."""
    shard: int | None = None
    """The shard of the matched person in scope, or of the managing stack."""


class Census(BaseModel):
    """Every listed account, classified; `entries` in the order the tenant listed them."""

    model_config = ConfigDict(frozen=True)

    entries: list[CensusEntry]

    def counts(self) -> dict[AccountClass, int]:
        """Accounts per class, every class present (0 when empty)."""
        found = Counter(entry.account_class for entry in self.entries)
        return {name: found.get(name, 0) for name in CLASSES}

    def of(self, account_class: AccountClass) -> list[CensusEntry]:
        """The entries of one class."""
        return [entry for entry in self.entries if entry.account_class == account_class]


class KeepPatternsError(InputError):
    """A `workplace:keepAccounts` pattern is not usable."""


class KeepPatterns:
    """userName patterns of accounts never deactivated for matching no person.

    `*` and `?` as in shell globs, `[...]` character sets; compared in any case.
    """

    def __init__(self, patterns: Sequence[str], setting: str = "workplace:keepAccounts") -> None:
        problems = []
        compiled = []
        for index, pattern in enumerate(patterns):
            text = pattern.strip() if isinstance(pattern, str) else ""
            if not text:
                problems.append(f"{setting}[{index}]: a pattern must be a non-empty string")
                continue
            compiled.append(re.compile(fnmatch.translate(text.casefold())))
        if problems:
            raise KeepPatternsError(problems)
        self.patterns = tuple(patterns)
        self._compiled = tuple(compiled)

    def keeps(self, account: TenantAccount) -> bool:
        """True when the account's userName matches a pattern."""
        name = (account.user_name or "").casefold()
        return bool(name) and any(regex.match(name) for regex in self._compiled)


def _fold(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text.casefold() if text else None


class PeopleIndex:
    """The directory's people by the values an account of theirs could carry."""

    def __init__(
        self,
        directory: Directory,
        mappings: Sequence[AttributeMapping],
        roles: Mapping[str, str | None],
        now: dt.datetime | None = None,
    ) -> None:
        prepared = MappingSet(list(mappings))
        clock = now or dt.datetime.now(dt.UTC)
        self._by_user_name: dict[str, str] = {}
        self._by_external_id: dict[str, str] = {}
        self._people: dict[str, Person] = {}
        for person in directory.people:
            self._people[person.id] = person
            names: list[object] = [person.user_principal_name, person.get("mail")]
            external: list[object] = [person.id]
            try:
                mapped = evaluate_mappings(
                    person, prepared, role=roles.get(person.id), soft_deleted=False, now=clock
                )
            except MappingError:
                mapped = None  # a person whose mappings fail still matches by the raw values
            if mapped is not None:
                names.insert(0, mapped.value("userName"))
                external.insert(0, mapped.value("externalId"))
            for value in names:
                key = _fold(value)
                if key is not None:
                    self._by_user_name.setdefault(key, person.id)
            for value in external:
                key = _fold(value)
                if key is not None:
                    self._by_external_id.setdefault(key, person.id)

    def person_of(self, account: TenantAccount) -> Person | None:
        """The person the account matches, or None."""
        for key, index in (
            (account.user_name, self._by_user_name),
            (account.external_id, self._by_external_id),
        ):
            folded = _fold(key)
            if folded is not None and folded in index:
                return self._people[index[folded]]
        return None


def take_census(
    accounts: Iterable[TenantAccount],
    people: PeopleIndex,
    *,
    in_scope: Collection[str],
    shard: ShardSpec | None = None,
    managed: Collection[str] = (),
    other_shards: Mapping[str, int] | None = None,
) -> Census:
    """Classify every account.

    `in_scope` holds the person ids in scope (every shard); `managed` the account ids this
    stack manages; `other_shards` account id -> index of the shard stack that manages it.
    """
    spec = shard or ShardSpec()
    managed_ids = set(managed)
    elsewhere = other_shards or {}
    entries = []
    for account in accounts:
        person = people.person_of(account)
        person_id = person.id if person is not None else None
        upn = person.user_principal_name if person is not None else None
        account_class: AccountClass
        shard_index: int | None = None
        if account.id in managed_ids:
            account_class, shard_index = "managed", spec.index
        elif account.id in elsewhere:
            account_class, shard_index = "other_shard", elsewhere[account.id]
        elif person is None:
            account_class = "no_person"
        elif person.id in in_scope:
            account_class, shard_index = "not_managed", spec.shard_of(person)
        else:
            account_class = "out_of_scope"
        entries.append(
            CensusEntry(
                account=account,
                account_class=account_class,
                person_id=person_id,
                person=upn,
                shard=shard_index,
            )
        )
    return Census(entries=entries)
