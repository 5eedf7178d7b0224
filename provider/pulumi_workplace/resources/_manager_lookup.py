"""Managers in other shards: their account ids, by userName, when a report's account is written.

A person's manager in the same stack is a resource dependency (`managerId` is the manager
`User`'s id). A manager in another shard is another stack's resource, so the provider looks
the account up by `userName` when it writes the report: one search each while that is cheaper,
then one listing of the tenant per run (the one the create search policy may already have
made). A manager without an account yet is `None`: the report is written without a manager and
marked `managerPending`, and a later run fills it in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from pulumi_workplace.scim import ScimClient, ScimUser


class ManagerLookup:
    """Per provider process; thread-safe."""

    def __init__(
        self,
        client: Callable[[], ScimClient],
        list_users: Callable[[], Iterable[ScimUser]],
        pages: Callable[[], int],
    ) -> None:
        self._client = client
        self._list_users = list_users
        self._pages = pages
        self._lock = threading.Lock()
        self._listing_done = threading.Event()
        self._found: dict[str, str | None] = {}
        self._listing: dict[str, str] | None = None
        self._listing_started = False
        self._lookups = 0

    def account_id(self, user_name: str) -> str | None:
        """The id of the account whose userName is `user_name` (any case), or None."""
        key = user_name.casefold()
        with self._lock:
            if key in self._found:
                return self._found[key]
            self._lookups += 1
            listing = self._listing
            start = listing is None and not self._listing_started and self._lookups > self._pages()
            if start:
                self._listing_started = True
        if start:
            listing = self._list()
        elif listing is None and self._listing_started:
            self._listing_done.wait()
            listing = self._listing
        if listing is not None:
            found = listing.get(key)
        else:
            user = self._client().find_user("userName", user_name)
            found = user.id if user is not None else None
        with self._lock:
            self._found[key] = found
        return found

    def _list(self) -> dict[str, str] | None:
        try:
            listing = {
                user.user_name.casefold(): user.id
                for user in self._list_users()
                if user.user_name and user.id
            }
        except Exception:  # a listing problem must not fail writes: search one by one instead
            listing = None
        with self._lock:
            self._listing = listing
        self._listing_done.set()
        return listing
