"""Run notifications: an e-mail (SMTP) and/or a JSON webhook, like Entra's notification e-mail.

Delivery never raises: each channel returns a DeliveryResult, and no result, log line or
message carries the SMTP password, a webhook header value or the webhook URL's path.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Literal, Self

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from pulumi_workplace._masking import Masker
from pulumi_workplace._net import is_loopback
from pulumi_workplace._version import __version__
from pulumi_workplace.operations import _smtp, _webhook
from pulumi_workplace.operations._delivery import DeliveryError
from pulumi_workplace.operations.report import RunSummary, render_terminal
from pulumi_workplace.settings import SETTINGS, ConfigSource, SettingsError, read_setting

__all__ = [
    "DeliveryResult",
    "NotificationSettings",
    "build_email",
    "build_payload",
    "send_notification",
    "settings_from",
]

# Stack config key (without `workplace:`) -> environment variable used when the key is unset.
ENV_FALLBACK = {k: s.env for k, s in SETTINGS.items() if k.startswith("notify") and s.env}

# Failures listed in a webhook payload; the rest are counted in `failures_omitted`.
PAYLOAD_FAILURES = 50
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_SUBJECT_LIMIT = 200
_MIN_PATH_SECRET = 12


def _address(value: str) -> str | None:
    """The bare address of `value` ("Name <a@b>" or "a@b"), or None when it is not one."""
    if any(c in value for c in "\r\n"):
        return None
    _, address = parseaddr(value)
    local, _, domain = address.rpartition("@")
    return address if local and domain and " " not in address else None


class NotificationSettings(BaseModel):
    """Where run notifications go. Either channel is optional; neither means no notification."""

    # hide_input_in_errors keeps the password and header values out of validation messages.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    sender: str | None = None
    recipients: list[str] = Field(default_factory=list)
    webhook_url: SecretStr | None = None
    """Secret: chat webhooks (Slack, Teams) carry their credential in the URL."""
    webhook_headers: dict[str, SecretStr] = Field(default_factory=dict)
    webhook_allow_insecure: bool = False
    """Allow plain http:// to a non-loopback webhook host."""
    ca_file: Path | None = None
    """Extra CA bundle trusted for the SMTP server and the webhook (e.g. a private CA)."""
    timeout: float = Field(default=10.0, gt=0, le=300)

    @property
    def email_enabled(self) -> bool:
        """An SMTP host is set."""
        return self.smtp_host is not None

    @property
    def webhook_enabled(self) -> bool:
        """A webhook URL is set."""
        return self.webhook_url is not None

    @property
    def enabled(self) -> bool:
        """At least one channel is set."""
        return self.email_enabled or self.webhook_enabled

    def secrets(self) -> list[str]:
        """Every secret value in these settings, for masking."""
        values = []
        for header in self.webhook_headers.values():
            # "Bearer <token>" / "Basic <creds>": the credential alone is secret too.
            values += [header.get_secret_value(), header.get_secret_value().split(None, 1)[-1]]
        for secret in (self.smtp_password, self.webhook_url):
            if secret is not None:
                values.append(secret.get_secret_value())
        if self.webhook_url is not None:
            # The path and query alone are the secret part of a chat webhook URL.
            url = httpx.URL(self.webhook_url.get_secret_value())
            path = url.raw_path.decode("ascii", "replace").lstrip("/")
            # A short path ("/hook") is no credential, and masking it would garble words.
            if len(path) >= _MIN_PATH_SECRET:
                values.append(path)
        return [value for value in values if value]

    @model_validator(mode="after")
    def _check(self) -> Self:
        self._check_email()
        self._check_webhook()
        return self

    def _check_email(self) -> None:
        if self.smtp_host is None:
            if self.recipients or self.sender:
                raise ValueError(
                    "workplace:notifyTo/notifyFrom are set but workplace:notifySmtpHost is not"
                )
            return
        if self.sender is None or _address(self.sender) is None:
            raise ValueError("workplace:notifyFrom must be an e-mail address when e-mail is on")
        if not self.recipients:
            raise ValueError("workplace:notifyTo must list at least one address")
        if bad := [r for r in self.recipients if _address(r) is None]:
            raise ValueError(f"workplace:notifyTo has {len(bad)} entry(s) that are not addresses")
        if (self.smtp_user is None) != (self.smtp_password is None):
            raise ValueError("workplace:notifySmtpUser and notifySmtpPassword go together")
        if self.smtp_security == "none" and self.smtp_user and not is_loopback(self.smtp_host):
            raise ValueError(
                "refusing to send the SMTP password in clear text: with a user, "
                "workplace:notifySmtpSecurity must be starttls or tls (none is for loopback)"
            )

    def _check_webhook(self) -> None:
        for name, value in self.webhook_headers.items():
            if not _HEADER_NAME.match(name) or any(c in value.get_secret_value() for c in "\r\n"):
                raise ValueError("workplace:notifyWebhookHeaders has an invalid header")
        if self.webhook_url is None:
            return
        try:
            url = httpx.URL(self.webhook_url.get_secret_value())
        except httpx.InvalidURL:
            raise ValueError("workplace:notifyWebhookUrl is not a valid URL") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("workplace:notifyWebhookUrl must be an http(s) URL with a host")
        if url.scheme == "http" and not is_loopback(url.host) and not self.webhook_allow_insecure:
            raise ValueError(
                "workplace:notifyWebhookUrl must use https:// for a non-loopback host (set "
                "workplace:notifyWebhookAllowInsecure true to allow plain http)"
            )


class DeliveryResult(BaseModel):
    """The outcome of one channel. `error` is set when `ok` is false, and never has a secret."""

    model_config = ConfigDict(frozen=True)

    channel: Literal["email", "webhook"]
    target: str
    """SMTP host:port, or the webhook's scheme://host[:port] (never its path)."""
    ok: bool
    attempts: int = 1
    status: int | None = None
    """HTTP status of the webhook, or the SMTP reply code of a refusal."""
    error: str | None = None


def settings_from(
    config: ConfigSource, environ: Mapping[str, str] | None = None
) -> NotificationSettings:
    """Read `workplace:notify*` stack config, falling back to WORKPLACE_NOTIFY_* variables.

    Raises SettingsError naming the key when a value is unusable.
    """

    def read(key: str) -> Any:
        return read_setting(key, config, environ)

    values: dict[str, Any] = {
        "smtp_host": read("notifySmtpHost"),
        "smtp_port": read("notifySmtpPort"),
        "smtp_security": (read("notifySmtpSecurity") or "").lower() or None,
        "smtp_user": read("notifySmtpUser"),
        "smtp_password": read("notifySmtpPassword"),
        "sender": read("notifyFrom"),
        "recipients": read("notifyTo"),
        "webhook_url": read("notifyWebhookUrl"),
        "webhook_headers": read("notifyWebhookHeaders"),
        "webhook_allow_insecure": read("notifyWebhookAllowInsecure"),
        "ca_file": read("notifyCaFile"),
        "timeout": read("notifyTimeout"),
    }
    try:
        return NotificationSettings.model_validate(
            {key: value for key, value in values.items() if value is not None}
        )
    except ValidationError as error:
        raise SettingsError("; ".join(_problem(item) for item in error.errors())) from None


_FIELD_KEYS = {
    "smtp_port": "notifySmtpPort",
    "smtp_security": "notifySmtpSecurity",
    "timeout": "notifyTimeout",
    "ca_file": "notifyCaFile",
}


def _problem(item: Mapping[str, Any]) -> str:
    message = str(item["msg"]).removeprefix("Value error, ")
    field = str(item["loc"][0]) if item["loc"] else ""
    return f"workplace:{_FIELD_KEYS[field]}: {message}" if field in _FIELD_KEYS else message


# -- content ---------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(text.split())[:_SUBJECT_LIMIT]


def _event(summary: RunSummary | None) -> str:
    if summary is None:
        return "provisioning.notice"
    if summary.by_action.get("guard"):
        return "provisioning.guard_blocked"
    if summary.by_action.get("paused"):
        return "provisioning.circuit_open"
    return "provisioning.failed" if summary.failed else "provisioning.completed"


def build_payload(
    *,
    subject: str,
    summary: RunSummary | None,
    text: str,
    event: str | None = None,
    stack: str | None = None,
    run_id: str | None = None,
) -> dict[str, Any]:
    """The webhook's JSON body."""
    failures = summary.failures if summary else []
    return {
        "event": event or _event(summary),
        "stack": stack or (summary.stacks[-1] if summary and summary.stacks else None),
        "run_id": run_id or (summary.runs[-1] if summary and summary.runs else None),
        "subject": _one_line(subject),
        "text": text,
        "counts": {
            "total": summary.total if summary else 0,
            "by_action": dict(summary.by_action) if summary else {},
            "by_status": dict(summary.by_status) if summary else {},
        },
        "failures": [failure.model_dump(mode="json") for failure in failures[:PAYLOAD_FAILURES]],
        "failures_omitted": max(0, len(failures) - PAYLOAD_FAILURES),
    }


def build_email(
    settings: NotificationSettings, *, subject: str, summary: RunSummary | None, text: str
) -> EmailMessage:
    """The notification e-mail: `text`, then the plain-text report of `summary`."""
    if settings.sender is None:
        raise ValueError("no sender (workplace:notifyFrom)")
    message = EmailMessage()
    message["Subject"] = _one_line(Masker(settings.secrets()).text(subject))
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    # make_msgid() without a domain calls socket.getfqdn(), which can query DNS.
    domain = (_address(settings.sender) or "localhost").rpartition("@")[2]
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to this
    body = text.rstrip() + "\n"
    if summary is not None:
        body += "\n" + render_terminal(summary, colour=False)
    body += f"\n-- \nSent by pulumi-workplace {__version__}.\n"
    message.set_content(Masker(settings.secrets()).text(body))
    return message


# -- delivery --------------------------------------------------------------------------------


def _tls_context(settings: NotificationSettings) -> ssl.SSLContext:
    # Hostname checking and certificate verification are on in the default context.
    cafile = str(settings.ca_file) if settings.ca_file else None
    return ssl.create_default_context(cafile=cafile)


def _deliver_email(
    settings: NotificationSettings, message: EmailMessage, mask: Masker
) -> DeliveryResult:
    host = settings.smtp_host or ""
    target = f"{host}:{settings.smtp_port}"
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    try:
        refused = _smtp.send_email(
            message,
            host=host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            user=settings.smtp_user,
            password=password,
            timeout=settings.timeout,
            context=_tls_context(settings),
        )
    except DeliveryError as error:
        return DeliveryResult(
            channel="email",
            target=target,
            ok=False,
            status=error.status,
            error=mask.text(str(error)),
        )
    if refused:
        error_text = f"sent, but the SMTP server refused {len(refused)} recipient(s): "
        return DeliveryResult(
            channel="email",
            target=target,
            ok=False,
            error=mask.text(error_text + "; ".join(refused)),
        )
    return DeliveryResult(channel="email", target=target, ok=True)


def _deliver_webhook(
    settings: NotificationSettings, payload: Mapping[str, Any], mask: Masker
) -> DeliveryResult:
    url = settings.webhook_url.get_secret_value() if settings.webhook_url else ""
    target = _webhook.public_target(url)
    headers = {name: value.get_secret_value() for name, value in settings.webhook_headers.items()}
    verify: ssl.SSLContext | bool = _tls_context(settings) if settings.ca_file else True
    try:
        status, attempts = _webhook.post_json(
            url, payload, headers=headers, timeout=settings.timeout, verify=verify
        )
    except DeliveryError as error:
        return DeliveryResult(
            channel="webhook",
            target=target,
            ok=False,
            attempts=error.attempts,
            status=error.status,
            error=mask.text(str(error)),
        )
    return DeliveryResult(
        channel="webhook", target=target, ok=True, attempts=attempts, status=status
    )


def send_notification(
    settings: NotificationSettings,
    *,
    subject: str,
    summary: RunSummary | None,
    text: str,
    event: str | None = None,
) -> list[DeliveryResult]:
    """Send the e-mail and/or POST the webhook that `settings` configure; never raises.

    `event` defaults to one derived from `summary`: provisioning.guard_blocked,
    provisioning.circuit_open, provisioning.failed or provisioning.completed.
    """
    mask = Masker(settings.secrets())
    subject, text = mask.text(subject), mask.text(text)
    results: list[DeliveryResult] = []
    if settings.email_enabled:
        try:
            message = build_email(settings, subject=subject, summary=summary, text=text)
            results.append(_deliver_email(settings, message, mask))
        except Exception as error:  # a notification must never fail the run
            results.append(
                _unexpected("email", f"{settings.smtp_host}:{settings.smtp_port}", error, mask)
            )
    if settings.webhook_enabled:
        url = settings.webhook_url.get_secret_value() if settings.webhook_url else ""
        try:
            target = _webhook.public_target(url)
        except Exception:
            target = "webhook"
        try:
            payload = mask.value(
                build_payload(subject=subject, summary=summary, text=text, event=event)
            )
            results.append(_deliver_webhook(settings, payload, mask))
        except Exception as error:
            results.append(_unexpected("webhook", target, error, mask))
    return results


def _unexpected(
    channel: Literal["email", "webhook"], target: str, error: Exception, mask: Masker
) -> DeliveryResult:
    reason = mask.text(f"{type(error).__name__}: {error}")[:300]
    return DeliveryResult(channel=channel, target=target, ok=False, error=reason)
