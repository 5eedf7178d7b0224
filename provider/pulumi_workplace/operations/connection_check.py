"""Connection check: the provider's settings, one `test_connection()`, one actionable verdict.

Settings are read exactly as the provider reads them (`pulumi_workplace.settings.settings_from`:
stack config, else WORKPLACE_TENANT_URL / WORKPLACE_TOKEN). Nothing printed carries the token.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, Field

from pulumi_workplace.scim import (
    AuthenticationError,
    ConnectionReport,
    InsecureTransportError,
    NotFoundError,
    PermissionDeniedError,
    ScimClient,
    ScimConnectionError,
    ScimError,
    TLSError,
)
from pulumi_workplace.scim.errors import token_masker
from pulumi_workplace.settings import ConfigSource, ConnectionSettings, SettingsError, settings_from

__all__ = [
    "EXIT_AUTH",
    "EXIT_NETWORK",
    "EXIT_OK",
    "EXIT_OTHER",
    "EXIT_PERMISSION",
    "EXIT_SETTINGS",
    "EXIT_TLS",
    "CheckOutcome",
    "StackConfig",
    "check_connection",
    "load_stack_config",
    "render_outcome",
]

EXIT_OK = 0
EXIT_OTHER = 1
EXIT_SETTINGS = 2
EXIT_AUTH = 3
EXIT_PERMISSION = 4
EXIT_NETWORK = 5
EXIT_TLS = 6

Kind = Literal[
    "ok", "settings", "insecure_transport", "auth", "permission", "network", "tls", "unexpected"
]

# A check should answer within seconds: fewer attempts and a shorter budget than a run uses.
_ATTEMPTS = 3
_DEADLINE = 20.0
_DNS_MARKERS = (
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "no address associated",
    "getaddrinfo",
    "name resolution",
)


class StackConfig(BaseModel):
    """The plain values of a `Pulumi.<stack>.yaml` file, and the keys that are encrypted."""

    model_config = ConfigDict(frozen=True)

    values: dict[str, Any] = Field(default_factory=dict)
    encrypted: list[str] = Field(default_factory=list)
    path: Path | None = None

    def get(self, key: str, /) -> Any:
        """The value of a full key (`workplace:tenantUrl`), or None."""
        return self.values.get(key)


def load_stack_config(path: str | Path) -> StackConfig:
    """Read the `config:` section of a stack file; `secure:` values are listed, not decrypted."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except OSError as error:
        raise SettingsError(f"cannot read stack config {path}: {error.strerror}") from None
    except yaml.YAMLError:
        raise SettingsError(f"stack config {path} is not valid YAML") from None
    section = data.get("config") if isinstance(data, dict) else None
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise SettingsError(f"stack config {path}: `config:` is not a mapping")
    values: dict[str, Any] = {}
    encrypted: list[str] = []
    for key, value in section.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            encrypted.append(str(key))
        else:
            values[str(key)] = value
    return StackConfig(values=values, encrypted=encrypted, path=Path(path))


class _Override:
    """Stack config with the tenant URL replaced by a command-line value."""

    def __init__(self, config: ConfigSource, tenant_url: str) -> None:
        self._config = config
        self._tenant_url = tenant_url

    def get(self, key: str, /) -> Any:
        return self._tenant_url if key == "workplace:tenantUrl" else self._config.get(key)


class CheckOutcome(BaseModel):
    """The verdict of a connection check; `lines` are safe to print (no secret)."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    kind: Kind
    exit_code: int
    lines: list[str]
    report: ConnectionReport | None = None


def _client(settings: ConnectionSettings) -> ScimClient:
    # The provider's client, with a shorter retry budget: a person is waiting.
    return settings.client(
        retry_deadline=min(settings.retry_deadline, _DEADLINE), max_attempts=_ATTEMPTS
    )


def _where(settings: ConnectionSettings) -> str:
    url = httpx.URL(settings.tenant_url)
    return f"{url.host}:{url.port}" if url.port else url.host


def check_connection(
    config: ConfigSource,
    environ: Mapping[str, str] | None = None,
    *,
    tenant_url: str | None = None,
) -> CheckOutcome:
    """Read the settings, call `ScimClient.test_connection()` and classify the outcome."""
    env = os.environ if environ is None else environ
    if tenant_url:
        config = _Override(config, tenant_url)
    try:
        settings = settings_from(config, env)
    except SettingsError as error:
        return _settings_failure(str(error), config)
    token = settings.token.get_secret_value()
    try:
        with _client(settings) as client:
            report = client.test_connection()
    except InsecureTransportError:
        return _outcome(
            "insecure_transport",
            EXIT_SETTINGS,
            f"Refusing to send the token over plain http:// to {_where(settings)}.",
            "Use an https:// tenant URL (workplace:tenantUrl / WORKPLACE_TENANT_URL); plain "
            "http is only for a loopback host such as a local emulator.",
        )
    except (ValueError, SettingsError) as error:
        return _outcome(
            "settings", EXIT_SETTINGS, "Unusable settings.", token_masker((token,)).text(str(error))
        )
    except ScimError as error:
        return _classify(error, settings, token)
    lines = [f"Connected to {report.base_url}"]
    if settings.insecure_skip_tls_verify:
        lines.append("  WARNING      TLS certificate verification is OFF (insecureSkipTlsVerify)")
    users = "readable" + (
        f", {report.total_users} account{'' if report.total_users == 1 else 's'}"
        if report.total_users is not None
        else ""
    )
    patch = {True: "supported", False: "not supported (PUT is used)", None: "unknown"}
    lines += [
        "  token        accepted",
        f"  users        {users}",
        f"  PATCH        {patch[report.supports_patch]}",
        "  discovery    " + ("available" if report.discovery_available else "not offered"),
        f"  elapsed      {report.elapsed_ms:.0f} ms",
    ]
    return CheckOutcome(ok=True, kind="ok", exit_code=EXIT_OK, lines=lines, report=report)


def _settings_failure(message: str, config: ConfigSource) -> CheckOutcome:
    lines = [message]
    encrypted = getattr(config, "encrypted", [])
    if "workplace:token" in encrypted and "token" in message:
        lines.append(
            "workplace:token in the stack file is encrypted and this command cannot decrypt "
            "it: export WORKPLACE_TOKEN in this shell (never pass a token as an argument)."
        )
    return _outcome("settings", EXIT_SETTINGS, "Connection settings are incomplete.", *lines)


def _classify(error: ScimError, settings: ConnectionSettings, token: str) -> CheckOutcome:
    where = _where(settings)
    detail = token_masker((token,)).text(str(error))
    if isinstance(error, AuthenticationError):
        return _outcome(
            "auth",
            EXIT_AUTH,
            f"The token was rejected by {where} (401).",
            "Create a new access token for the custom integration (Workplace Admin Panel > "
            "Integrations), then set it with `pulumi config set --secret workplace:token` or "
            "WORKPLACE_TOKEN.",
            detail,
        )
    if isinstance(error, PermissionDeniedError):
        return _outcome(
            "permission",
            EXIT_PERMISSION,
            f"The token is valid but {where} refused access (403).",
            'Give the custom integration the "Manage Accounts" permission in the Workplace '
            "Admin Panel, and check that its IP allow-list includes this machine.",
            detail,
        )
    if isinstance(error, TLSError):
        return _outcome(
            "tls",
            EXIT_TLS,
            f"TLS handshake with {where} failed.",
            "Check that the URL's scheme and port speak HTTPS, and that the server's "
            "certificate is issued for this host by a trusted CA (SSL_CERT_FILE adds one).",
            detail,
        )
    if isinstance(error, ScimConnectionError):
        return _network(error, where, detail)
    if isinstance(error, NotFoundError):
        return _outcome(
            "unexpected",
            EXIT_OTHER,
            f"{where} answered 404 for /Users.",
            "The tenant URL is probably not the SCIM base URL; for Workplace it is "
            "https://scim.workplace.com/ (workplace:tenantUrl / WORKPLACE_TENANT_URL).",
            detail,
        )
    return _outcome("unexpected", EXIT_OTHER, f"Unexpected answer from {where}.", detail)


def _network(error: ScimConnectionError, where: str, detail: str) -> CheckOutcome:
    reason = (error.detail or "").lower()
    if any(marker in reason for marker in _DNS_MARKERS):
        headline = f"DNS lookup of {where.rsplit(':', 1)[0]} failed."
        fix = "Check the host name in workplace:tenantUrl / WORKPLACE_TENANT_URL and this DNS."
    elif "timed out" in str(error).lower() or "timeout" in reason:
        headline = f"Timed out connecting to {where}."
        fix = "Check the firewall or proxy between this machine and the host."
    else:
        headline = f"Cannot reach {where} (connection refused or reset)."
        fix = "Check the host and port in workplace:tenantUrl / WORKPLACE_TENANT_URL."
    return _outcome("network", EXIT_NETWORK, headline, fix, detail)


def _outcome(kind: Kind, code: int, headline: str, *more: str) -> CheckOutcome:
    return CheckOutcome(ok=False, kind=kind, exit_code=code, lines=[headline, *more])


def render_outcome(outcome: CheckOutcome) -> str:
    """The text to print: the success table, or the headline and indented advice and detail."""
    if outcome.ok:
        return "\n".join(outcome.lines) + "\n"
    head, *rest = outcome.lines
    return "\n".join([head, *("  " + line for line in rest)]) + "\n"
