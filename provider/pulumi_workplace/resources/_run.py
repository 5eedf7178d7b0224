"""One provider process = one Pulumi run: its provisioning log, circuit breaker, deprovisioning
budget and notices (the `Run` that the run's `ProviderRuntime` holds).

Every write the provider makes goes through `operate`, which refuses it while provisioning is
paused or the circuit breaker is open, times it, and records it in the provisioning log. At the
end of the process a run with failures (or an open breaker) sends one notification.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pulumi_workplace.errors import RunRefused
from pulumi_workplace.operations.breaker import CircuitBreaker, CircuitOpenError, breaker_from
from pulumi_workplace.operations.guard import (
    RELEASE_ON_REMOVE_ENV,
    DeprovisionBudget,
    DeprovisionRefused,
)
from pulumi_workplace.operations.log import LogRecord, ProvisioningLog
from pulumi_workplace.operations.notify import send_notification
from pulumi_workplace.operations.notify import settings_from as notify_settings_from
from pulumi_workplace.operations.report import render_terminal, summarise
from pulumi_workplace.scim import ScimError
from pulumi_workplace.settings import parse_boolean, read_setting

DEFAULT_LOG = "provisioning-log.jsonl"
PAUSED_MESSAGE = (
    "provisioning is paused (workplace:provisioningStatus is off): nothing was written to "
    "Workplace. `pulumi preview` still shows the plan; set workplace:provisioningStatus to on "
    "to resume."
)

_T = TypeVar("_T")


class PausedError(RunRefused):
    """A write was refused because provisioning is paused."""


def provisioning_paused(config: Any) -> bool:
    """True when `workplace:provisioningStatus` (or WORKPLACE_PROVISIONING_STATUS) is off."""
    value = read_setting("provisioningStatus", config if config is not None else {})
    return bool(value == "off")


def log_path(config: Any) -> Path | None:
    """The provisioning log file (`workplace:provisioningLog`; `off` disables it)."""
    value = read_setting("provisioningLog", config if config is not None else {}) or DEFAULT_LOG
    if str(value).strip().lower() == "off":
        return None
    return Path(str(value))


class Run:
    def __init__(self, config: Any) -> None:
        self.id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + f"-{os.getpid()}"
        self.config = config
        self.paused = provisioning_paused(config)
        self._logs: dict[str, ProvisioningLog] = {}
        self._lock = threading.Lock()
        self.records: list[LogRecord] = []
        self.breaker: CircuitBreaker | None = breaker_from(config)
        self.budget = DeprovisionBudget.from_settings(config if config is not None else {})
        self._released = 0
        self._said: set[str] = set()
        self._path = log_path(config)
        self._secrets = _secrets(config)

    def count_release(self) -> int:
        """Count one account left as it is on removal; returns the count so far."""
        with self._lock:
            self._released += 1
            return self._released

    def first_time(self, topic: str) -> bool:
        """True the first time `topic` is asked about in this run: for notes said once."""
        with self._lock:
            if topic in self._said:
                return False
            self._said.add(topic)
            return True

    def log(self, stack: str) -> ProvisioningLog | None:
        if self._path is None:
            return None
        with self._lock:
            if stack not in self._logs:
                self._logs[stack] = ProvisioningLog(
                    self._path, stack=stack, run_id=self.id, secrets=self._secrets
                )
            return self._logs[stack]

    def record(self, stack: str, action: str, **fields: Any) -> None:
        log = self.log(stack)
        if log is None:
            return
        try:
            entry = log.record(action, **fields)  # type: ignore[arg-type]
        except OSError as error:
            # The change itself succeeded or failed on its own; a full disk must not hide that.
            print(f"provisioning log not written ({self._path}): {error}", file=sys.stderr)
            return
        with self._lock:
            self.records.append(entry)


def operate(
    run: Run,
    action: str,
    props: Mapping[str, Any],
    call: Callable[[], _T],
    *,
    workplace_id: str | None = None,
    describe: Callable[[_T], tuple[str, Mapping[str, tuple[Any, Any]] | None]] | None = None,
    identify: Callable[[_T], str | None] | None = None,
) -> _T:
    """Run one write to Workplace under the run's rules and record it in the provisioning log.

    `describe` turns the result into the action actually taken and the changed attributes;
    `identify` gives the Workplace id of a created account.
    """
    stack = str(props.get("stack") or "")
    person = props.get("userName") or props.get("externalId") or workplace_id
    if run.paused:
        run.record(stack, "paused", person=person, workplace_id=workplace_id, status="skipped")
        raise PausedError(PAUSED_MESSAGE)
    if run.breaker is not None:
        try:
            run.breaker.check()
        except CircuitOpenError as error:
            run.record(
                stack,
                "skip",
                person=person,
                workplace_id=workplace_id,
                status="skipped",
                error=str(error),
            )
            raise
    started = time.monotonic()
    try:
        result = call()
    except ScimError as error:
        if run.breaker is not None:
            run.breaker.record_failure(str(error))
        run.record(
            stack,
            "failure",
            person=person,
            workplace_id=workplace_id,
            status="failure",
            http_status=error.status,
            error=f"{action}: {error}",
            duration_ms=(time.monotonic() - started) * 1000,
        )
        raise
    if run.breaker is not None:
        run.breaker.record_success()
    taken, changes = describe(result) if describe else (action, None)
    if identify is not None:
        workplace_id = identify(result) or workplace_id
    if taken != "none":
        run.record(
            stack,
            taken,
            person=person,
            workplace_id=workplace_id,
            status="success",
            changes=changes,
            duration_ms=(time.monotonic() - started) * 1000,
        )
    return result


def release_on_remove() -> bool:
    """True when this run was told to leave removed resources' accounts as they are."""
    raw = os.environ.get(RELEASE_ON_REMOVE_ENV, "").strip()
    return bool(raw) and parse_boolean(raw, RELEASE_ON_REMOVE_ENV)


@contextlib.contextmanager
def deprovisioning(
    run: Run,
    props: Mapping[str, Any],
    workplace_id: str,
    *,
    removal: bool,
    mode: str = "deactivate",
) -> Iterator[None]:
    """Count one deprovisioning write against the run's budget before it is sent.

    A refusal is recorded in the provisioning log (action `guard`) and raised; a write that
    then fails gives its place back.
    """
    stack = str(props.get("stack") or "")
    person = props.get("userName") or props.get("externalId") or workplace_id
    try:
        run.budget.take(str(person), removal=removal, mode=mode)
    except DeprovisionRefused as refused:
        run.record(
            stack,
            "guard",
            person=person,
            workplace_id=workplace_id,
            status="skipped",
            error=str(refused),
        )
        raise
    try:
        yield
    except BaseException:
        run.budget.give_back()
        raise


def _secrets(config: Any) -> list[str]:
    found = []
    for key in ("workplace:token", "workplace:notifySmtpPassword"):
        value = config.get(key) if config is not None else None
        if value:
            found.append(str(value))
    for env in ("WORKPLACE_TOKEN", "WORKPLACE_NOTIFY_SMTP_PASSWORD"):
        if os.environ.get(env):
            found.append(os.environ[env])
    return found


def notify_at_exit(run: Run) -> None:
    """One notification per run with failures or an open breaker; never raises."""
    try:
        failed = any(r.status == "failure" for r in run.records)
        opened = run.breaker is not None and run.breaker.state.open
        if not (failed or opened):
            return
        settings = notify_settings_from(run.config if run.config is not None else {})
        if not settings.enabled:
            return
        summary = summarise(run.records)
        subject = "Workplace provisioning: " + (
            "stopped by the circuit breaker"
            if opened
            else f"{summary.by_status.get('failure', 0)} failure(s)"
        )
        for result in send_notification(
            settings, subject=subject, summary=summary, text=render_terminal(summary)
        ):
            if not result.ok:
                print(f"notification via {result.channel} failed: {result.error}", file=sys.stderr)
    except Exception as error:  # a notification problem must not mask the run's own result
        print(f"notification not sent: {type(error).__name__}", file=sys.stderr)
