"""The provider's connection to Workplace for one run: one pooled client, one connection test,
one tenant listing (the live index `refresh` reads), the create search policy, the lookup of
managers in other shards.

Pulumi pickles provider instances into state, so none of this lives on a provider instance; it
belongs to the run's `ProviderRuntime` (`_runtime`), which `configure()` builds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator

from pulumi_workplace.resources._manager_lookup import ManagerLookup
from pulumi_workplace.resources._match_index import SearchPolicy, listing_pages
from pulumi_workplace.scim import ScimClient, ScimUser
from pulumi_workplace.settings import ConfigSource, ConnectionSettings, settings_from


class Connection:
    """Thread-safe: the provider's worker threads share it."""

    def __init__(self, config: ConfigSource) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._verify_lock = threading.Lock()
        self._clients: dict[tuple[object, ...], ScimClient] = {}
        self._index: _LiveIndex | None = None
        self._verified: BaseException | bool = False
        self._tenant_size: int | None = None  # from the connection test: sizes the listing
        self._search_policy: SearchPolicy | None = None
        self._manager_lookup: ManagerLookup | None = None
        self._settings: ConnectionSettings | None = None

    def settings(self) -> ConnectionSettings:
        """The connection settings: stack config, else environment variables.

        Read once per run (config and environment are fixed for the process); unusable
        settings are not kept, so every call that needs them reports the error.
        """
        with self._lock:
            known = self._settings
        if known is None:
            known = settings_from(self.config)
            with self._lock:
                self._settings = known
        return known

    def client(self) -> ScimClient:
        """The pooled client for the current settings (a rotated token gets a new one)."""
        current = self.settings()
        key = current.cache_key()
        with self._lock:
            existing = self._clients.get(key)
            if existing is None:
                existing = current.client()
                self._clients[key] = existing
            return existing

    def verify_once(self) -> None:
        """Test the connection once per run; re-raise the first failure on every later call.

        Called as soon as a run plans a change, so a bad token or a missing permission fails
        the preview with a clear message, while a preview with nothing to do makes no request.
        Single-flight: concurrent callers wait for the one check instead of each making one.
        """
        with self._verify_lock:
            with self._lock:
                outcome = self._verified
            if outcome is True:
                return
            if isinstance(outcome, BaseException):
                raise outcome
            try:
                report = self.client().test_connection()
            except Exception as error:
                with self._lock:
                    self._verified = error
                raise
            with self._lock:
                self._verified = True
                self._tenant_size = report.total_users

    def search_policy(self) -> SearchPolicy:
        """The run's policy for searching before a create (see `_match_index`)."""
        with self._lock:
            if self._search_policy is None:
                self._search_policy = SearchPolicy(self._users_for_matching, self._listing_pages)
            return self._search_policy

    def manager_lookup(self) -> ManagerLookup:
        """The run's lookup of managers in other shards (see `_manager_lookup`)."""
        # The search policy's one listing of the tenant serves the lookup too.
        policy = self.search_policy()
        with self._lock:
            if self._manager_lookup is None:
                self._manager_lookup = ManagerLookup(
                    self.client, policy.listing, self._listing_pages
                )
            return self._manager_lookup

    def _listing_pages(self) -> int:
        with self._lock:
            size = self._tenant_size
        return listing_pages(size, self.settings().page_size)

    def _users_for_matching(self) -> Iterable[ScimUser]:
        # `up --refresh` has listed everyone already: reuse it rather than list again. Page by
        # page otherwise: 100,000 accounts are never all held as models at once.
        with self._lock:
            index = self._index
        listed = index.users_if_listed() if index is not None else None
        return listed if listed is not None else self.client().iter_users()

    def live_user(self, user_id: str) -> ScimUser | None:
        """The stored user with this id, from one paged listing per run (None if not listed)."""
        with self._lock:
            if self._index is None:
                self._index = _LiveIndex(self._list_and_mark_verified)
            index = self._index
        return index.get(user_id)

    def _list_and_mark_verified(self) -> Iterator[ScimUser]:
        first = True
        for user in self.client().iter_users():
            if first:
                with self._lock:
                    self._verified = True  # a listing proves the token and the permission
                first = False
            yield user
        with self._lock:
            self._verified = True

    def close(self) -> None:
        with self._lock:
            for existing in self._clients.values():
                existing.close()
            self._clients.clear()


class _LiveIndex:
    """All users, listed once per process; `pulumi refresh` reads from it instead of N GETs.

    The listing runs in its own thread and readers take each user as soon as its page has
    arrived, so the engine's reads (which come in roughly the listing's order) overlap the
    listing instead of all waiting for its last page.
    """

    def __init__(self, pages: Callable[[], Iterable[ScimUser]]) -> None:
        self._pages = pages
        self._by_id: dict[str, ScimUser] = {}
        self._done = False
        self._error: BaseException | None = None
        self._started = False
        self._changed = threading.Condition()

    def get(self, user_id: str) -> ScimUser | None:
        with self._changed:
            if not self._started:
                self._started = True
                threading.Thread(target=self._list, name="workplace-listing", daemon=True).start()
            while user_id not in self._by_id and not self._done:
                self._changed.wait()
            if self._error is not None:
                raise self._error
            return self._by_id.get(user_id)

    def _list(self) -> None:
        try:
            for user in self._pages():
                if user.id is not None:
                    with self._changed:
                        self._by_id[user.id] = user
                        self._changed.notify_all()
        except BaseException as error:  # handed to every reader
            with self._changed:
                self._error = error
        finally:
            with self._changed:
                self._done = True
                self._changed.notify_all()

    def users_if_listed(self) -> list[ScimUser] | None:
        with self._changed:
            if not self._done or self._error is not None:
                return None
            return list(self._by_id.values())
