"""User storage with the Workplace rules: numeric ids, manager references, invitations, claims.

The rules beyond numeric ids apply to users of a profile with Meta's rules; the generic
profile also stores groups here, with none of them.
"""

from __future__ import annotations

import datetime
import itertools
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from scim2_models import (
    Error,
    InvalidValueException,
    Meta,
    NotFoundException,
    Resource,
    ResourceType,
    SCIMException,
    ScimFilter,
)
from scim2_server.memory import InMemoryStorage
from scim2_server.storage import SearchPage

from pulumi_workplace.emulator.config import EmulatorConfig
from pulumi_workplace.emulator.journal import Journal, JournalState
from pulumi_workplace.emulator.schema import AccountStatusDetails, user_model

FIRST_ID = 100_000_000_000_001
"""Workplace ids are 15-digit numbers; the emulator hands them out from here."""

_VERSION = re.compile(r'^W/"(\d+)"$')


def _epoch() -> int:
    return int(time.time())


def _id_order(resource: Resource[Any]) -> tuple[int, str]:
    """Numeric ids of any length in numeric order."""
    return len(resource.id or ""), resource.id or ""


class UserStore(InMemoryStorage):
    """In-memory users indexed by scim2-server, written through to an optional journal.

    Every public method runs under the storage lock, and a write returns only once the journal
    holds it, so an acknowledged write survives a crash. `resource_type` is the User type;
    `models` gives the model of each resource type name stored (the User model by default).
    """

    def __init__(
        self,
        config: EmulatorConfig,
        resource_type: ResourceType,
        *,
        models: dict[str, type[Resource[Any]]] | None = None,
        journal: Journal | None = None,
        on_invitation: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__()
        self._config = config
        self._profile = config.profile_spec
        self._resource_type = resource_type
        self._user_type = str(resource_type.name)
        self._models = models or {self._user_type: user_model(self._profile.user_extensions)}
        self._journal = journal
        self._on_invitation = on_invitation
        self._next_id = FIRST_ID
        # id -> monotonic time from which searches may return the user (visibility delay).
        self._hidden_until: dict[str, float] = {}
        # The ids of the last plain listing, sorted, and the membership they were sorted for.
        self._listing: tuple[tuple[str, ...], list[str]] | None = None

    # -- Persistence ----------------------------------------------------

    def load(self, state: JournalState) -> None:
        """Replace the users with those of a replayed journal."""
        with self.lock:
            users: list[Resource[Any]] = [
                self._model_of(user).model_validate(user) for user in state.users.values()
            ]
            # ETags come from a counter: resume above every stored version so none repeats.
            versions = [self._version_number(user) for user in users]
            self.versions = itertools.count(max(versions, default=0) + 1)
            for user in users:
                self._complete_meta(user)
            self.resources = users
            self._next_id = max(FIRST_ID, state.next_id)
            self._hidden_until.clear()

    def _model_of(self, record: dict[str, Any]) -> type[Resource[Any]]:
        """Return the model of a journal record, by its meta.resourceType (a user by default)."""
        meta = record.get("meta")
        name = meta.get("resourceType") if isinstance(meta, dict) else None
        return self._models.get(str(name), self._models[self._user_type])

    def _complete_meta(self, user: Resource[Any]) -> None:
        """Give a hand-written user the meta the storage needs (type, dates, version)."""
        meta = user.meta or Meta()
        now = datetime.datetime.now(datetime.UTC)
        user.meta = meta.model_copy(
            update={
                "resource_type": meta.resource_type or self._resource_type.name,
                "created": meta.created or now,
                "last_modified": meta.last_modified or meta.created or now,
                "version": meta.version or self.next_version(),
            }
        )

    def snapshot(self) -> JournalState:
        """Return the users and the id counter, as a journal compaction writes them."""
        with self.lock:
            # Every resource (the generic profile's groups too), in id order.
            resources = sorted(self.resources, key=_id_order)
            dumped = [resource.model_dump() for resource in resources]
            return JournalState(users={item["id"]: item for item in dumped}, next_id=self._next_id)

    @staticmethod
    def _version_number(user: Resource[Any]) -> int:
        version = user.meta.version if user.meta else None
        match = _VERSION.match(version or "")
        return int(match.group(1)) if match else 0

    def users(self) -> list[dict[str, Any]]:
        """Return every stored user as JSON, in id order."""
        with self.lock:
            stored = self._resources.get(self._resource_type.name, {})
            return [user.model_dump() for user in sorted(stored.values(), key=_id_order)]

    def count(self) -> int:
        """Return the number of stored users."""
        with self.lock:
            return len(self._resources.get(self._resource_type.name, {}))

    # -- ScimStorage ----------------------------------------------------

    def generate_id(self, resource_type: ResourceType, resource: Resource[Any]) -> str:
        """Return the next numeric id; ids are never reused, even after a deletion."""
        user_id = str(self._next_id)
        self._next_id += 1
        return user_id

    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        with self.lock:
            invited = False
            if self._is_user(resource_type):
                self._check_manager(resource_type, resource, previous=None)
                invited = self._start_account_status(resource)
            created = self._insert(resource_type, resource)
            self._persist(created, undo=lambda: self._remove_id(resource_type, created))
            if self._config.visibility_delay_ms:
                delay = self._config.visibility_delay_ms / 1000
                self._hidden_until[str(created.id)] = time.monotonic() + delay
            if invited:
                self._on_invitation()
            return created

    def _insert(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        """Store a new user: InMemoryStorage.create without its two deep copies.

        The handler hands over a resource it validated for this request alone and only
        publishes a copy of the result, so the copies cost a third of a create for nothing.
        """
        resource.id = self.generate_id(resource_type, resource)
        now = self.clock()
        resource.meta = Meta(
            resource_type=resource_type.name,
            created=now,
            last_modified=now,
            version=self.next_version(),
        )
        values = self._values_of(resource)
        self._check_uniqueness(resource, values)
        self._store(resource, values)
        return resource

    def update(
        self,
        resource_type: ResourceType,
        resource: Resource[Any],
        *,
        expected_version: str | None = None,
    ) -> Resource[Any]:
        with self.lock:
            stored = self._stored(resource_type, resource.id)
            invited = False
            if self._is_user(resource_type):
                self._check_manager(resource_type, resource, previous=stored)
                invited = self._carry_account_status(stored, resource)
            updated = super().update(resource_type, resource, expected_version=expected_version)
            self._persist(updated, undo=lambda: self._store(stored, self._values_of(stored)))
            if invited:
                self._on_invitation()
            return updated

    def delete(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        expected_version: str | None = None,
    ) -> None:
        with self.lock:
            stored = self._stored(resource_type, resource_id)
            status = self._account_status(stored) if self._is_user(resource_type) else None
            if status is not None and status.claimed:
                raise SCIMException.from_error(
                    Error(
                        status=self._config.delete_claimed_status,
                        detail=f"User {resource_id} has claimed the account; claimed accounts "
                        "cannot be deleted, they must be deactivated (active=false) instead",
                    )
                )
            super().delete(resource_type, resource_id, expected_version=expected_version)
            if self._journal is not None:
                try:
                    self._journal.delete(resource_id)
                except OSError:
                    self._store(stored, self._values_of(stored))
                    raise
            self._hidden_until.pop(resource_id, None)

    def search(
        self,
        resource_types: list[ResourceType],
        search_request: Any,
        *,
        position: Any = None,
    ) -> SearchPage:
        """Page through all users without sorting them all again for every page.

        scim2-server sorts every matching user for each page, so listing 10,000 users 100 at a
        time sorted a million entries; `pulumi refresh` lists like that. A plain listing (no
        filter, sort or cursor) keeps the sorted ids while nobody is added or removed. Same
        order as scim2-server (by id), same totalResults, users read fresh for each page.
        """
        plain = (
            search_request.filter is None
            and search_request.sort_by is None
            and search_request.cursor is None
            and len(resource_types) == 1
        )
        if not plain:
            return super().search(resource_types, search_request, position=position)
        with self.lock:
            if self._hidden_until:
                return super().search(resource_types, search_request, position=position)
            stored = self._resources.get(resource_types[0].name, {})
            membership = tuple(stored)
            if self._listing is None or self._listing[0] != membership:
                self._listing = (membership, sorted(membership))
            ordered = self._listing[1]
            start = search_request.start_index_0 or 0
            stop = None if search_request.count is None else start + search_request.count
            page = [stored[user_id].model_copy(deep=True) for user_id in ordered[start:stop]]
            return SearchPage(len(ordered), page)

    def _candidates(
        self, names: list[str | None], scim_filter: ScimFilter[Any] | None
    ) -> list[Resource[Any]]:
        """Leave out the users still inside their visibility delay.

        Filtering here, before scim2-server counts and pages, keeps totalResults consistent.
        """
        candidates: list[Resource[Any]] = super()._candidates(names, scim_filter)
        if not self._hidden_until:
            return candidates
        now = time.monotonic()
        for user_id, until in list(self._hidden_until.items()):
            if until <= now:
                del self._hidden_until[user_id]
        return [user for user in candidates if user.id not in self._hidden_until]

    # -- Administration -------------------------------------------------

    def mark_claimed(self, user_id: str) -> dict[str, Any]:
        """Mark an account claimed, as when its owner accepts the invitation; return the user.

        :raises NotFoundException: when no user has this id.
        :raises ValueError: when the profile's users have no claim state (generic).
        """
        with self.lock:
            if not self._profile.account_status:
                raise ValueError(f"the {self._profile.name} profile has no account claims")
            stored = self._stored(self._resource_type, user_id)
            user = stored.model_copy(deep=True)
            status = user[AccountStatusDetails] or AccountStatusDetails()
            if not status.claimed:
                status = status.model_copy(update={"claimed": True, "claim_date": _epoch()})
                user[AccountStatusDetails] = status
                # InMemoryStorage.update directly: update() would restore the stored claim state.
                user = super().update(self._resource_type, user)
                self._persist(user, undo=lambda: self._store(stored, self._values_of(stored)))
            dumped: dict[str, Any] = user.model_dump()
            return dumped

    def get_user(self, user_id: str) -> dict[str, Any] | None:
        """Return a stored user as JSON, or None."""
        with self.lock:
            try:
                stored = self._stored(self._resource_type, user_id)
            except NotFoundException:
                return None
            dumped: dict[str, Any] = stored.model_dump()
            return dumped

    # -- Workplace rules ------------------------------------------------

    def _is_user(self, resource_type: ResourceType) -> bool:
        return resource_type.name == self._resource_type.name

    def _account_status(self, user: Resource[Any]) -> AccountStatusDetails | None:
        """Return a user's invitation and claim state; None in a profile without it."""
        if not self._profile.account_status:
            return None
        status: AccountStatusDetails | None = user[AccountStatusDetails]
        return status

    def _persist(self, user: Resource[Any], undo: Callable[[], None]) -> None:
        """Write a user to the journal; undo the in-memory change when that fails."""
        if self._journal is None:
            return
        try:
            self._journal.put(user.model_dump())
        except OSError:
            undo()
            raise

    def _remove_id(self, resource_type: ResourceType, user: Resource[Any]) -> None:
        self._remove((resource_type.name, str(user.id)))

    def _check_manager(
        self, resource_type: ResourceType, user: Resource[Any], previous: Resource[Any] | None
    ) -> None:
        """Refuse a manager not in the allowed shape or (Meta's rule) not an existing user id.

        The generic profile's RFC manager has no managerId: only `value` is looked at there.
        """
        enterprise = self._profile.enterprise
        extension = user[enterprise]
        manager = getattr(extension, "manager", None)
        if manager is None:
            return
        before = previous[enterprise] if previous is not None else None
        if before is not None and getattr(before, "manager", None) == manager:
            return  # unchanged: a manager deleted since must not block other updates
        manager_id = getattr(manager, "manager_id", None)
        shape = self._config.manager_shape
        if shape == "managerId" and manager.value is not None:
            raise InvalidValueException(
                detail="manager.value is not accepted; send manager.managerId"
            )
        if shape == "value" and manager_id is not None:
            raise InvalidValueException(
                detail="manager.managerId is not accepted; send manager.value"
            )
        if not self._profile.meta_rules:
            return
        ids = {ref for ref in (manager_id, manager.value) if ref is not None}
        if len(ids) > 1:
            raise InvalidValueException(
                detail="manager.managerId and manager.value name different users"
            )
        users = self._resources.get(resource_type.name, {})
        for manager_id in ids:
            if manager_id not in users:
                raise InvalidValueException(
                    detail=f"manager {manager_id!r} is not the id of an existing user"
                )

    def _start_account_status(self, user: Resource[Any]) -> bool:
        """Fill the server-managed account status of a new user; return whether it is invited."""
        if not self._profile.account_status:
            return False
        requested = user[AccountStatusDetails]
        invited = True if requested is None or requested.invited is None else requested.invited
        user_name = str(getattr(user, "user_name", None) or "")
        has_email = bool(getattr(user, "emails", None)) or "@" in user_name
        user[AccountStatusDetails] = AccountStatusDetails(
            invited=invited,
            invite_date=_epoch() if invited else None,
            claimed=False,
            claim_link=f"https://work.workplace.com/invite/{secrets.token_urlsafe(12)}",
            # Workplace gives access codes to people without an e-mail address.
            access_code=None if has_email else secrets.token_hex(4),
        )
        return invited

    def _carry_account_status(self, stored: Resource[Any], user: Resource[Any]) -> bool:
        """Keep the server-managed status fields; return whether this update sends an invitation.

        An update that leaves `invited` out keeps the stored value, whatever the PUT semantics:
        an invitation cannot be taken back by omission.
        """
        if not self._profile.account_status:
            return False
        before = stored[AccountStatusDetails] or AccountStatusDetails()
        requested = user[AccountStatusDetails]
        invited = before.invited
        if requested is not None and requested.invited is not None:
            invited = requested.invited
        newly_invited = bool(invited) and not before.invited
        user[AccountStatusDetails] = before.model_copy(
            update={
                "invited": invited,
                "invite_date": _epoch() if newly_invited else before.invite_date,
            }
        )
        return newly_invited
