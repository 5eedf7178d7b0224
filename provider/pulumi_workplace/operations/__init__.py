"""Operations: provisioning log, run reports, notifications, circuit breaker, deprovisioning
guard and connection check. Plain Python, no Pulumi; every class is safe across threads.
"""

from pulumi_workplace.operations.breaker import (
    BreakerState,
    CircuitBreaker,
    CircuitOpenError,
    breaker_from,
)
from pulumi_workplace.operations.connection_check import (
    CheckOutcome,
    check_connection,
    load_stack_config,
)
from pulumi_workplace.operations.guard import (
    DeprovisionGuard,
    GuardDecision,
    allowed_from,
    guard_from,
)
from pulumi_workplace.operations.log import (
    LogFormatError,
    LogRecord,
    ProvisioningLog,
    read_log,
    scan_log,
)
from pulumi_workplace.operations.notify import (
    DeliveryResult,
    NotificationSettings,
    send_notification,
)
from pulumi_workplace.operations.notify import settings_from as notification_settings_from
from pulumi_workplace.operations.report import (
    RunSummary,
    render_markdown,
    render_terminal,
    summarise,
)

__all__ = [
    "BreakerState",
    "CheckOutcome",
    "CircuitBreaker",
    "CircuitOpenError",
    "DeliveryResult",
    "DeprovisionGuard",
    "GuardDecision",
    "LogFormatError",
    "LogRecord",
    "NotificationSettings",
    "ProvisioningLog",
    "RunSummary",
    "allowed_from",
    "breaker_from",
    "check_connection",
    "guard_from",
    "load_stack_config",
    "notification_settings_from",
    "read_log",
    "render_markdown",
    "render_terminal",
    "scan_log",
    "send_notification",
    "summarise",
]
