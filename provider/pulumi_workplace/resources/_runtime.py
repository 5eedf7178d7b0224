"""The dynamic provider's state for one run, built in `configure()`, in one resettable slot.

`ProviderRuntime` holds everything a provider process keeps between engine calls: the stack
config, the connection (settings, pooled SCIM client, connection test, tenant listing and live
index, create search policy), the adoption registry, and the run (provisioning log, circuit
breaker, deprovisioning budget, notification at exit). Nothing else in the package keeps mutable
module-level state, so tests build a runtime, call the provider's methods, and `reset()`.
"""

from __future__ import annotations

import atexit
import contextlib
import sys
import threading
from collections.abc import Iterator

from pulumi_workplace.resources._connection import Connection
from pulumi_workplace.resources._matching import AdoptionRegistry
from pulumi_workplace.resources._run import Run, notify_at_exit
from pulumi_workplace.resources._sdk_workarounds import widen_provider_pool
from pulumi_workplace.settings import ConfigSource, check_no_unknown_settings, read_setting

DEFAULT_CONCURRENCY = 4


class ProviderRuntime:
    """One run of the provider (one provider process in a Pulumi run)."""

    def __init__(
        self,
        config: ConfigSource,
        *,
        config_keys: list[str] | None = None,
        provisional: bool = False,
    ) -> None:
        self.config = config
        self.provisional = provisional
        """Built before `configure` (environment variables only); configure replaces it."""
        self.config_keys = config_keys or []
        self.connection = Connection(config)
        self.adoptions = AdoptionRegistry()
        self._lock = threading.Lock()
        self._run: Run | None = None
        self._calls: threading.BoundedSemaphore | None = None
        self.concurrency = DEFAULT_CONCURRENCY
        """Provider calls served at once (`workplace:concurrency`, applied in `configure`)."""

    def apply_concurrency(self) -> int:
        """Serve `workplace:concurrency` calls at once: widen the SDK's pool (on checked SDKs)
        or, below its four threads, let only that many calls run at a time."""
        wanted = int(read_setting("concurrency", self.config) or DEFAULT_CONCURRENCY)
        in_force = widen_provider_pool(wanted)
        if wanted < in_force:
            self._calls = threading.BoundedSemaphore(wanted)
            in_force = wanted
        elif wanted > in_force:
            from pulumi import _version

            print(
                f"workplace:concurrency {wanted} is not applied on Pulumi SDK {_version._VERSION} "
                f"(verified on 3.216 and 3.272): the provider serves {in_force} calls at a time",
                file=sys.stderr,
                flush=True,
            )
        self.concurrency = in_force
        return in_force

    @contextlib.contextmanager
    def call_slot(self) -> Iterator[None]:
        """Hold one of the `workplace:concurrency` slots for an engine call that may write."""
        if self._calls is None:
            yield
            return
        with self._calls:
            yield

    @property
    def run(self) -> Run:
        """The run's log, breaker and budget (created on first use: settings may be unusable,
        and that error belongs to the engine call that needs them)."""
        with self._lock:
            if self._run is None:
                self._run = Run(self.config)
                atexit.register(notify_at_exit, self._run)
            return self._run

    def check_settings(self) -> None:
        """Fail on a `workplace:` key that is not a setting (a typo is never ignored)."""
        check_no_unknown_settings(self.config_keys)

    def close(self) -> None:
        self.connection.close()


class _Slot:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.runtime: ProviderRuntime | None = None


_SLOT = _Slot()


def configure(config: ConfigSource) -> ProviderRuntime:
    """Build the run's runtime from the config the engine sent (once; later calls keep it)."""
    keys = sorted(getattr(config, "_props", None) or (config if isinstance(config, dict) else {}))
    with _SLOT.lock:
        if _SLOT.runtime is None or _SLOT.runtime.provisional:
            _SLOT.runtime = ProviderRuntime(config, config_keys=keys)
            _SLOT.runtime.apply_concurrency()
        return _SLOT.runtime


def current() -> ProviderRuntime:
    """The run's runtime; before `configure` one that reads environment variables only."""
    with _SLOT.lock:
        if _SLOT.runtime is None:
            _SLOT.runtime = ProviderRuntime({}, provisional=True)
        return _SLOT.runtime


def reset() -> None:
    """Drop the runtime (tests; the next call builds a new one)."""
    with _SLOT.lock:
        runtime, _SLOT.runtime = _SLOT.runtime, None
    if runtime is not None:
        runtime.close()
