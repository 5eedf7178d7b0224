"""The provider process's connection to Workplace: one pooled client and a per-run user index.

Pulumi pickles provider instances into state, so nothing here lives on an instance: settings
(with the token) and the HTTP client are process globals, set up by `configure()` and shared by
the provider's worker threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

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
    """All users, listed once per process; `pulumi refresh` reads from it instead of N GETs."""

    def __init__(self, lister: Callable[[], list[ScimUser]]) -> None:
        self._lister = lister
        self._by_id: dict[str, ScimUser] | None = None
        self._lock = threading.Lock()

    def get(self, user_id: str) -> ScimUser | None:
        with self._lock:
            if self._by_id is None:
                self._by_id = {u.id: u for u in self._lister() if u.id is not None}
            return self._by_id.get(user_id)

    def users_if_listed(self) -> list[ScimUser] | None:
        with self._lock:
            return None if self._by_id is None else list(self._by_id.values())


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


def _list_and_mark_verified() -> list[ScimUser]:
    global _verified
    users = client().list_users()
    with _lock:
        _verified = True  # a full listing proves the token and the permission already
    return users


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
