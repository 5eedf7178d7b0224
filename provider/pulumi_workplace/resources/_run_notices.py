"""Program-side run rules: provisioning paused, notices when a guard trips, people skipped,
accounts that match no person."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pulumi

from pulumi_workplace.operations.log import ProvisioningLog
from pulumi_workplace.operations.notify import send_notification
from pulumi_workplace.operations.notify import settings_from as notify_settings_from
from pulumi_workplace.resources._program_config import ProgramConfig
from pulumi_workplace.resources._run import PAUSED_MESSAGE, log_path, provisioning_paused


def _log(config: ProgramConfig) -> ProvisioningLog | None:
    path = log_path(config)
    if path is None:
        return None
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + f"-program-{os.getpid()}"
    return ProvisioningLog(path, stack=pulumi.get_stack(), run_id=run_id)


def stop_if_paused(component: pulumi.Resource) -> None:
    """With provisioning off, a preview shows the plan and says so; `up` stops before writing."""
    config = ProgramConfig()
    if not provisioning_paused(config):
        return
    if pulumi.runtime.is_dry_run():
        pulumi.log.warn(
            "provisioning is paused (workplace:provisioningStatus is off): this preview shows "
            "the plan, and `pulumi up` will not write to Workplace",
            resource=component,
        )
        return
    log = _log(config)
    if log is not None:
        log.record("paused", person=None, workplace_id=None, status="skipped", error=PAUSED_MESSAGE)
    raise pulumi.RunError(PAUSED_MESSAGE)


def record_skipped(config: ProgramConfig, reasons: list[str]) -> None:
    """Log each person left untouched for invalid values (`up` only; a preview logs nothing)."""
    if pulumi.runtime.is_dry_run():
        return
    log = _log(config)
    if log is None:
        return
    for reason in reasons:
        person = reason.split(": ", 1)[0]
        log.record("skip", person=person, workplace_id=None, status="skipped", error=reason)


def record_unmanaged(config: ProgramConfig, line: str) -> None:
    """Log the accounts that match no person once per run (`up` only), for the run report."""
    if pulumi.runtime.is_dry_run():
        return
    log = _log(config)
    if log is not None:
        log.record("unmanaged", person=None, workplace_id=None, status="warning", error=line)


def notify_guard(
    config: ProgramConfig,
    message: str,
    subject: str = "Workplace provisioning stopped: too many deprovisions",
) -> None:
    """Record the tripped guard and notify; a notification problem is reported, never raised."""
    log = _log(config)
    if log is not None:
        log.record("guard", person=None, workplace_id=None, status="failure", error=message)
    try:
        settings = notify_settings_from(config)
    except Exception as error:
        pulumi.log.warn(f"notification settings unusable: {error}")
        return
    if not settings.enabled:
        return
    for result in send_notification(
        settings,
        subject=subject,
        summary=None,
        text=message,
        event="provisioning.guard_blocked",
    ):
        if not result.ok:
            pulumi.log.warn(f"notification via {result.channel} failed: {result.error}")
