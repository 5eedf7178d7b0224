"""Run the emulator on a loopback port, in background threads."""

from __future__ import annotations

import ipaddress
import threading
from types import TracebackType
from typing import Any, Self, cast

from cheroot import wsgi
from scim2_models import NotFoundException

from pulumi_workplace.emulator.app import EmulatorApp
from pulumi_workplace.emulator.config import EmulatorConfig
from pulumi_workplace.emulator.faults import FaultInjector, FaultSettings
from pulumi_workplace.emulator.journal import Journal
from pulumi_workplace.emulator.schema import build_provider
from pulumi_workplace.emulator.stats import Stats
from pulumi_workplace.emulator.store import UserStore
from pulumi_workplace.emulator.wire import DropConnection

_START_TIMEOUT = 30.0


class _Gateway(wsgi.Gateway_10):
    """cheroot's WSGI gateway, closing the connection silently when the app says so."""

    def respond(self) -> None:
        try:
            super().respond()
        except DropConnection:
            # No headers were sent: marking the request not ready stops cheroot from sending
            # any, and close_connection makes it close the socket.
            self.req.close_connection = True
            self.req.ready = False


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class EmulatorServer:
    """The Workplace SCIM emulator, served by cheroot on a loopback address.

    Use `start()` and `stop()`, or a `with` block. Port 0 picks a free port; `url` tells which.
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        threads: int = 48,
    ) -> None:
        if not _is_loopback(host):
            # The emulator accepts a test token and is meant for this machine only.
            raise ValueError(f"the emulator only listens on loopback addresses, not {host!r}")
        self.config = config or EmulatorConfig()
        self._host = host
        self._port = port
        self._threads = threads
        self._stats = Stats()
        self._faults = FaultInjector(FaultSettings.from_config(self.config), self.config.seed)
        self._store: UserStore | None = None
        self._journal: Journal | None = None
        self._http: wsgi.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # -- Life cycle -----------------------------------------------------

    def start(self) -> None:
        """Load the data file, bind the port and serve in background threads; return when ready."""
        if self._http is not None:
            raise RuntimeError("the emulator is already running")
        profile = self.config.profile_spec
        provider = build_provider(
            self.config.default_page_size,
            self.config.max_page_size,
            extensions=profile.user_extensions,
            groups=profile.groups,
        )
        journal = Journal(self.config.data_file) if self.config.data_file is not None else None
        models = {str(rt.name): provider.model_for(rt) for rt in provider.resource_types}
        store = UserStore(
            self.config,
            provider.resource_types[0],
            models={name: cast(Any, model) for name, model in models.items() if model is not None},
            journal=journal,
            on_invitation=self._stats.record_invitation,
        )
        if journal is not None:
            state = journal.load()
            store.load(state)
            if journal.needs_compaction(len(state.users)):
                journal.compact(store.snapshot())
            else:
                journal.open()
        app = EmulatorApp(self.config, provider, store, self._stats, self._faults)
        http = wsgi.Server((self._host, self._port), app, numthreads=self._threads)
        http.gateway = _Gateway
        # The serve loop notices stop() at this interval (cheroot default 0.5 s).
        http.expiration_interval = 0.05
        self._store, self._journal, self._http = store, journal, http
        self._ready.clear()
        self._error = None
        # cheroot's worker threads inherit the daemon flag of the thread that creates them, so
        # preparing in a daemon thread keeps a forgotten server from blocking interpreter exit.
        self._thread = threading.Thread(target=self._serve, name="workplace-emulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(_START_TIMEOUT) or self._error is not None:
            error = self._error
            self._shutdown()
            raise RuntimeError(f"the emulator did not start: {error}") from error

    def _serve(self) -> None:
        assert self._http is not None
        try:
            self._http.prepare()
        except BaseException as error:  # reported to start()
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        self._http.serve()

    def stop(self) -> None:
        """Stop serving, then compact and close the data file."""
        if self._http is None:
            return
        self._shutdown()

    def _shutdown(self) -> None:
        http, thread, journal, store = self._http, self._thread, self._journal, self._store
        self._http = self._thread = None
        if http is not None:
            http.stop()
        if thread is not None:
            thread.join(timeout=_START_TIMEOUT)
        if journal is not None and store is not None:
            if journal.needs_compaction(store.count()):
                journal.compact(store.snapshot())
            journal.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- Inspection and control ------------------------------------------

    @property
    def port(self) -> int:
        """The port served on."""
        if self._http is None:
            raise RuntimeError("the emulator is not running")
        return int(self._http.bind_addr[1])

    @property
    def url(self) -> str:
        """The SCIM base URL, with a trailing slash: `http://127.0.0.1:PORT/`."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}/"

    def stats(self) -> dict[str, Any]:
        """Return the request counters (the JSON of GET /_emulator/stats)."""
        return self._stats.snapshot()

    def reset_stats(self) -> None:
        """Set every request counter back to zero."""
        self._stats.reset()

    def mark_claimed(self, user_id: str) -> dict[str, Any]:
        """Mark an account claimed, as when its owner accepts the invitation; return the user.

        :raises KeyError: when no user has this id.
        """
        try:
            return self._running_store().mark_claimed(user_id)
        except NotFoundException:
            raise KeyError(user_id) from None

    def users(self) -> list[dict[str, Any]]:
        """Return every stored user as JSON, in id order."""
        return self._running_store().users()

    def set_faults(
        self,
        *,
        error_rate: float | None = None,
        throttle_rate: float | None = None,
        drop_rate: float | None = None,
        lost_response_rate: float | None = None,
        latency_ms: int | None = None,
        retry_after: float | None = None,
        methods: frozenset[str] | None = None,
    ) -> None:
        """Change fault settings while running; an argument left None keeps its value.

        :raises ValueError: when a rate is outside 0..1 or drop+error+throttle exceeds 1.
        """
        self._faults.update(
            error_rate=error_rate,
            throttle_rate=throttle_rate,
            drop_rate=drop_rate,
            lost_response_rate=lost_response_rate,
            latency_ms=latency_ms,
            retry_after=retry_after,
            methods=methods,
        )

    def _running_store(self) -> UserStore:
        if self._store is None:
            raise RuntimeError("the emulator has not been started")
        return self._store
