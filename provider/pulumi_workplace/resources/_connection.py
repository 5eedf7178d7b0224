"""The provider process's connection to Workplace: one pooled client and a per-run user index.

Pulumi pickles provider instances into state, so nothing here lives on an instance: settings
(with the token) and the HTTP client are process globals, set up by `configure()` and shared by
the provider's worker threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator

from pulumi_workplace.resources._match_index import SearchPolicy, listing_pages
from pulumi_workplace.scim import ScimClient, ScimUser
from pulumi_workplace.settings import ConfigSource, ConnectionSettings, settings_from

_lock = threading.Lock()
_config: ConfigSource | None = None
_clients: dict[tuple[object, ...], ScimClient] = {}
_index: _LiveIndex | None = None
_verified: BaseException | bool = False
_tenant_size: int | None = None  # from the connection test: sizes the create listing
_search_policy: SearchPolicy | None = None


def configure(config: ConfigSource) -> None:
    """Remember the stack config the engine sent (settings are read from it lazily)."""
    global _config
    with _lock:
        _config = config


def current_config() -> ConfigSource | None:
    """The stack config the engine sent, or None before `configure` (env vars then apply)."""
    with _lock:
        return _config


def settings() -> ConnectionSettings:
    """The current connection settings: stack config, else environment variables."""
    return settings_from(_config if _config is not None else {})


def client() -> ScimClient:
    """The process's pooled client for the current settings."""
    current = settings()
    key = current.cache_key()
    with _lock:
        existing = _clients.get(key)
        if existing is None:
            existing = current.client()
            _clients[key] = existing
        return existing


_verify_lock = threading.Lock()


def verify_once() -> None:
    """Test the connection once per process; re-raise the first failure on every later call.

    Called as soon as a run plans a change, so a bad token or a missing permission fails the
    preview with a clear message, while a preview with nothing to do makes no request at all.
    Single-flight: concurrent callers wait for the one check instead of each making their own.
    """
    global _verified, _tenant_size
    with _verify_lock:
        with _lock:
            outcome = _verified
        if outcome is True:
            return
        if isinstance(outcome, BaseException):
            raise outcome
        try:
            report = client().test_connection()
        except Exception as error:
            with _lock:
                _verified = error
            raise
        with _lock:
            _verified = True
            _tenant_size = report.total_users


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


def search_policy() -> SearchPolicy:
    """The process's policy for searching before a create (see `_match_index`)."""
    global _search_policy
    with _lock:
        if _search_policy is None:
            _search_policy = SearchPolicy(_users_for_matching, _listing_pages)
        return _search_policy


def _listing_pages() -> int:
    with _lock:
        size = _tenant_size
    return listing_pages(size, settings().page_size)


def _users_for_matching() -> list[ScimUser]:
    # `up --refresh` has listed everyone already: reuse it rather than list again.
    with _lock:
        index = _index
    listed = index.users_if_listed() if index is not None else None
    return listed if listed is not None else client().list_users()


def live_user(user_id: str) -> ScimUser | None:
    """The stored user with this id, from one paged listing per process (None if not listed)."""
    global _index
    with _lock:
        if _index is None:
            _index = _LiveIndex(_list_and_mark_verified)
        index = _index
    return index.get(user_id)


def _list_and_mark_verified() -> Iterator[ScimUser]:
    global _verified
    first = True
    for user in client().iter_users():
        if first:
            with _lock:
                _verified = True  # a listing proves the token and the permission already
            first = False
        yield user
    with _lock:
        _verified = True


def reset() -> None:
    """Forget clients and the user index (tests)."""
    global _index, _config, _verified, _tenant_size, _search_policy
    with _lock:
        _verified = False
        _tenant_size = None
        _search_policy = None
        for existing in _clients.values():
            existing.close()
        _clients.clear()
        _index = None
        _config = None
