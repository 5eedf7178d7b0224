"""When a create needs a search first, and when one listing of the tenant answers for it.

`create` adopts an existing account that matches (`userName`, `externalId`), so it searches
before it POSTs: one extra request per account, which with 100 ms per request doubles the time
of an initial load. Once a run has more creates than a listing of the tenant has pages, the
provider lists every account once and skips the searches that the listing shows must come back
empty; a listed candidate is still searched on the server, so adoption follows the server's own
matching. An account someone else creates after the listing meets the POST's 409 (or
`uniqueness` 400), which `_matching.create_or_adopt` answers with a search and adoption.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pulumi_workplace.scim import ScimUser

INDEXED_KEYS = ("userName", "externalId")
DEFAULT_PAGES = 10
"""Creates searched one by one when the tenant's size is unknown, before the listing."""


def _key(value: Any) -> str:
    # Case-folded for every key: the index only has to over-approximate what the server matches.
    return str(value).casefold()


class MatchIndex:
    """The matching values of the accounts listed once (plus those created since), and the id
    of each listed account by userName (for managers in other shards, `_manager_lookup`)."""

    def __init__(self, users: Iterable[ScimUser] = ()) -> None:
        self._values: dict[str, set[str]] = {key: set() for key in INDEXED_KEYS}
        self._ids: dict[str, str] = {}
        self._lock = threading.Lock()
        for user in users:
            self.add({"userName": user.user_name, "externalId": user.external_id})
            if user.user_name and user.id:
                self._ids[_key(user.user_name)] = user.id

    def listed_id(self, user_name: str) -> str | None:
        """The id of the listed account with this userName (any case), or None."""
        with self._lock:
            return self._ids.get(_key(user_name))

    def add(self, values: Mapping[str, Any]) -> None:
        """Record an account's matching values."""
        with self._lock:
            for key in INDEXED_KEYS:
                if values.get(key) not in (None, ""):
                    self._values[key].add(_key(values[key]))

    def may_match(self, values: Mapping[str, Any], match_on: Sequence[str]) -> bool:
        """False only when no listed account can match `values` on `match_on`."""
        with self._lock:
            for key in match_on:
                value = values.get(key)
                if value in (None, ""):
                    continue
                if key not in self._values or _key(value) in self._values[key]:
                    return True
        return False


class SearchPolicy:
    """Per provider process: searched creates until a listing is cheaper, then the index."""

    def __init__(
        self, list_users: Callable[[], Iterable[ScimUser]], pages: Callable[[], int]
    ) -> None:
        self._list_users = list_users
        self._pages = pages
        self._lock = threading.Lock()
        self._creates = 0
        self._index: MatchIndex | None = None
        self._building = False
        self._unavailable = False
        self._settled = threading.Event()
        """Set once the listing is built or has failed."""

    @property
    def index(self) -> MatchIndex | None:
        with self._lock:
            return self._index

    def needs_search(self, values: Mapping[str, Any], match_on: Sequence[str]) -> bool:
        """Whether this create must search before it POSTs (counts the create)."""
        with self._lock:
            self._creates += 1
            index = self._index
            build = (
                index is None
                and not self._building
                and not self._unavailable
                and self._creates > self._pages()
            )
            if build:
                self._building = True
        if build:
            index = self._build()
        # While another thread lists, or when listing failed, search as before.
        return index is None or index.may_match(values, match_on)

    def listing(self) -> MatchIndex | None:
        """The index now, listing the tenant if nobody has (waits for a listing under way);
        None when listing failed."""
        with self._lock:
            build = self._index is None and not self._building and not self._unavailable
            if build:
                self._building = True
        if build:
            return self._build()
        self._settled.wait()
        return self.index

    def created(self, values: Mapping[str, Any]) -> None:
        """Record a new account so a later create with the same values searches."""
        index = self.index
        if index is not None:
            index.add(values)

    def _build(self) -> MatchIndex | None:
        try:
            index = MatchIndex(self._list_users())
        except Exception:  # a listing problem must not fail creates: they search instead
            with self._lock:
                self._unavailable, self._building = True, False
            self._settled.set()
            return None
        with self._lock:
            self._index, self._building = index, False
        self._settled.set()
        return index


def listing_pages(tenant_size: int | None, page_size: int) -> int:
    """Requests a listing of `tenant_size` accounts takes (at least one)."""
    if tenant_size is None:
        return DEFAULT_PAGES
    return max(1, math.ceil(tenant_size / page_size))
