"""Managers in other shards: their account ids, by userName, when a report's account is written.

A person's manager in the same stack is a resource dependency (`managerId` is the manager
`User`'s id). A manager in another shard is another stack's resource, so the provider looks
the account up by `userName` when it writes the report: one search each while that is cheaper,
then the run's one listing of the tenant (the create search policy's, `_match_index`). A
manager without an account yet is `None`: the report is written without a manager and marked
`managerPending`, and a later run fills it in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from pulumi_workplace.resources._match_index import MatchIndex
from pulumi_workplace.scim import ScimClient


class ManagerLookup:
    """Per provider process; thread-safe."""

    def __init__(
        self,
        client: Callable[[], ScimClient],
        listing: Callable[[], MatchIndex | None],
        pages: Callable[[], int],
    ) -> None:
        self._client = client
        self._listing = listing
        self._pages = pages
        self._lock = threading.Lock()
        self._found: dict[str, str | None] = {}
        self._lookups = 0

    def account_id(self, user_name: str) -> str | None:
        """The id of the account whose userName is `user_name` (any case), or None."""
        key = user_name.casefold()
        with self._lock:
            if key in self._found:
                return self._found[key]
            self._lookups += 1
            use_listing = self._lookups > self._pages()
        index = self._listing() if use_listing else None
        if index is not None:
            found = index.listed_id(user_name)
        else:
            user = self._client().find_user("userName", user_name)
            found = user.id if user is not None else None
        with self._lock:
            self._found[key] = found
        return found
