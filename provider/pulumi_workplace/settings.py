"""Every `workplace:` setting, in one typed model, read one way by the program and the provider.

`WorkplaceSettings` declares each setting once: its key (the field alias), type, default,
environment fallback, one-line description and the part of the project that uses it. Stack config
wins over the environment. `load_settings` reads all of them from a config source (a dict, the
program's stack config or the provider's `pulumi.dynamic.Config`): booleans, numbers, lists and
objects parse the same way wherever they are read, and an error names the setting
(`workplace:<key>`, with its environment variable) without ever echoing a value.
`unknown_settings` names keys under `workplace:` that are not settings, with the closest ones.

The token is held in a `SecretStr` and only in the provider process; it is never put on a provider
instance (which Pulumi pickles into state), in a resource's state, or in a message.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from pulumi_workplace.errors import SettingsError
from pulumi_workplace.profiles import PROFILES, ManagerShape, ProfileName, UpdateMethod

if TYPE_CHECKING:
    from pulumi_workplace.scim import ScimClient

__all__ = [
    "SETTINGS",
    "ConfigSource",
    "ConnectionSettings",
    "SettingInfo",
    "SettingsError",
    "WorkplaceSettings",
    "check_no_unknown_settings",
    "connection_from",
    "desired_state_fingerprint",
    "load_settings",
    "parse_boolean",
    "read_setting",
    "settings_from",
    "unknown_settings",
]

NAMESPACE = "workplace"
DEFAULT_TENANT_URL = "https://scim.workplace.com/"

Kind = Literal["text", "secret", "integer", "number", "boolean", "list", "object", "any"]
Section = Literal["connection", "program", "operations"]


class ConfigSource(Protocol):
    """Anything with `get(key)`: a dict of stack config or `pulumi.dynamic.Config`."""

    def get(self, key: str, /) -> Any: ...


def _setting(
    key: str,
    default: Any,
    kind: Kind,
    section: Section,
    description: str,
    *,
    env: str | None = None,
    choices: tuple[str, ...] = (),
    minimum: float | None = None,
    maximum: float | None = None,
    above: float | None = None,
) -> Any:
    extra: dict[str, Any] = {
        "kind": kind,
        "section": section,
        "env": env,
        "choices": list(choices),
        "minimum": minimum,
        "maximum": maximum,
        "above": above,
    }
    return Field(default=default, alias=key, description=description, json_schema_extra=extra)


class WorkplaceSettings(BaseModel):
    """Every `workplace:` setting (docs/configuration.md and docs/operations.md are checked
    against this model by tests/test_settings_model.py)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    # -- connection (the provider) --
    tenant_url: str = _setting(
        "tenantUrl",
        DEFAULT_TENANT_URL,
        "text",
        "connection",
        "SCIM base URL; HTTPS except for loopback addresses",
        env="WORKPLACE_TENANT_URL",
    )
    token: SecretStr | None = _setting(
        "token",
        None,
        "secret",
        "connection",
        "Access token of the integration (Manage Accounts permission)",
        env="WORKPLACE_TOKEN",
    )
    page_size: int = _setting(
        "pageSize",
        100,
        "integer",
        "connection",
        "`count` for paged listings",
        env="WORKPLACE_PAGE_SIZE",
        minimum=1,
        maximum=1000,
    )
    request_timeout: float = _setting(
        "requestTimeout",
        30.0,
        "number",
        "connection",
        "Seconds per HTTP request",
        env="WORKPLACE_REQUEST_TIMEOUT",
        above=0,
    )
    retry_deadline: float = _setting(
        "retryDeadline",
        120.0,
        "number",
        "connection",
        "Total seconds one operation may spend retrying",
        env="WORKPLACE_RETRY_DEADLINE",
        above=0,
    )
    concurrency: int = _setting(
        "concurrency",
        4,
        "integer",
        "connection",
        "Provider calls in flight at once; run `pulumi up --parallel` at least as high "
        "(docs/performance.md)",
        env="WORKPLACE_CONCURRENCY",
        minimum=1,
        maximum=32,
    )
    profile: ProfileName = _setting(
        "profile",
        "workplace",
        "text",
        "connection",
        "The kind of SCIM server: workplace, work-accounts or generic; sets the defaults below "
        "and the default mappings (docs/targets.md)",
        env="WORKPLACE_PROFILE",
        choices=tuple(PROFILES),
    )
    manager_shape: ManagerShape | None = _setting(
        "managerShape",
        None,
        "text",
        "connection",
        "How the manager is written: managerId (Workplace) or value (RFC 7643); default: the "
        "profile's",
        env="WORKPLACE_MANAGER_SHAPE",
        choices=("managerId", "value"),
    )
    update_method: UpdateMethod | None = _setting(
        "updateMethod",
        None,
        "text",
        "connection",
        "How updates are sent: patch, put, or auto (PUT when the server says it has no PATCH); "
        "default: the profile's",
        env="WORKPLACE_UPDATE_METHOD",
        choices=("patch", "put", "auto"),
    )
    insecure_skip_tls_verify: bool = _setting(
        "insecureSkipTlsVerify",
        False,
        "boolean",
        "connection",
        "Turn TLS verification off (never in production)",
        env="WORKPLACE_INSECURE_SKIP_TLS_VERIFY",
    )

    # -- the provisioning program --
    directory: dict[str, Any] | None = _setting(
        "directory", None, "object", "program", "The directory source (required by the program)"
    )
    roles: list[str] = _setting(
        "roles", ["User"], "list", "program", "The app roles assignments may use"
    )
    assignments: list[Any] = _setting(
        "assignments", [], "any", "program", "Groups and people assigned, with a role"
    )
    scope: Literal["assigned", "all"] = _setting(
        "scope",
        "assigned",
        "text",
        "program",
        "assigned, or all (every person in the directory)",
        choices=("assigned", "all"),
    )
    scoping_filters: list[Any] = _setting(
        "scopingFilters", [], "any", "program", "Entra-style scoping filters"
    )
    nested_groups: bool | int = _setting(
        "nestedGroups", False, "any", "program", "Expand nested groups (true, or a depth)"
    )
    mappings: list[Any] | None = _setting(
        "mappings", None, "any", "program", "Overrides of the default attribute mappings"
    )
    skip_out_of_scope_deletions: bool = _setting(
        "skipOutOfScopeDeletions",
        False,
        "boolean",
        "program",
        "Release people who leave the scope instead of deactivating them",
    )
    invalid_people: Literal["fail", "skip"] = _setting(
        "invalidPeople",
        "fail",
        "text",
        "program",
        "fail: a person in scope with an invalid mapped value stops the run; skip: that person "
        "is left untouched and named, everyone else is provisioned",
        choices=("fail", "skip"),
    )
    deprovision: Literal["deactivate", "delete", "retain"] = _setting(
        "deprovision",
        "deactivate",
        "text",
        "program",
        "What an approved removal of a User does",
        choices=("deactivate", "delete", "retain"),
    )
    name: str = _setting(
        "name", "workplace", "text", "program", "Name of the Provisioning component"
    )
    unmanaged_accounts: Literal["ignore", "report", "deactivate"] = _setting(
        "unmanagedAccounts",
        "ignore",
        "text",
        "program",
        "Accounts that match no person in the directory: ignore, report (in every preview and "
        "run report) or deactivate (taken over and deactivated, counted by the guard); "
        "docs/operations.md",
        choices=("ignore", "report", "deactivate"),
    )
    keep_accounts: list[str] = _setting(
        "keepAccounts",
        [],
        "list",
        "program",
        "userName patterns (`*`, `?`, any case) of accounts workplace:unmanagedAccounts never "
        "deactivates: service and break-glass accounts",
    )
    shard: dict[str, Any] | None = _setting(
        "shard",
        None,
        "object",
        "program",
        "`{count, index, key}`: this stack manages shard `index` of `count` (hashed on `key`, "
        "the directory id by default); docs/sharding.md",
    )

    # -- operations --
    provisioning_status: Literal["on", "off"] = _setting(
        "provisioningStatus",
        "on",
        "text",
        "operations",
        "off pauses provisioning: previews still plan, up writes nothing",
        env="WORKPLACE_PROVISIONING_STATUS",
        choices=("on", "off"),
    )
    provisioning_log: str = _setting(
        "provisioningLog",
        "provisioning-log.jsonl",
        "text",
        "operations",
        "The provisioning log file; off disables it",
        env="WORKPLACE_PROVISIONING_LOG",
    )
    deprovision_threshold: int = _setting(
        "deprovisionThreshold",
        500,
        "integer",
        "operations",
        "Most deactivations + deletions per run; 0 turns the count limit off",
        env="WORKPLACE_DEPROVISION_THRESHOLD",
        minimum=0,
    )
    deprovision_threshold_percent: float | None = _setting(
        "deprovisionThresholdPercent",
        None,
        "number",
        "operations",
        "Most deprovisions as a percentage of the managed accounts; 0 or unset is off",
        env="WORKPLACE_DEPROVISION_THRESHOLD_PERCENT",
        minimum=0,
        maximum=100,
    )
    update_threshold: str | None = _setting(
        "updateThreshold",
        None,
        "text",
        "operations",
        "Most accounts one attribute may change for in a run: a count (default 500; 0 is off) "
        "or a percentage of the managed accounts such as 10%",
        env="WORKPLACE_UPDATE_THRESHOLD",
    )
    circuit_breaker_min_operations: int = _setting(
        "circuitBreakerMinOperations",
        20,
        "integer",
        "operations",
        "Operations before the failure share is judged",
        env="WORKPLACE_CIRCUIT_BREAKER_MIN_OPERATIONS",
        minimum=1,
    )
    circuit_breaker_failure_percent: float = _setting(
        "circuitBreakerFailurePercent",
        40.0,
        "number",
        "operations",
        "Failure share that opens the circuit breaker; 0 turns it off",
        env="WORKPLACE_CIRCUIT_BREAKER_FAILURE_PERCENT",
        minimum=0,
    )
    notify_smtp_host: str | None = _setting(
        "notifySmtpHost",
        None,
        "text",
        "operations",
        "SMTP server for notifications",
        env="WORKPLACE_NOTIFY_SMTP_HOST",
    )
    notify_smtp_port: int | None = _setting(
        "notifySmtpPort",
        None,
        "integer",
        "operations",
        "SMTP port (default 587, or 465 with tls)",
        env="WORKPLACE_NOTIFY_SMTP_PORT",
        minimum=1,
    )
    notify_smtp_security: str | None = _setting(
        "notifySmtpSecurity",
        None,
        "text",
        "operations",
        "starttls (default), tls or none",
        env="WORKPLACE_NOTIFY_SMTP_SECURITY",
    )
    notify_smtp_user: str | None = _setting(
        "notifySmtpUser", None, "text", "operations", "SMTP login", env="WORKPLACE_NOTIFY_SMTP_USER"
    )
    notify_smtp_password: SecretStr | None = _setting(
        "notifySmtpPassword",
        None,
        "secret",
        "operations",
        "SMTP password",
        env="WORKPLACE_NOTIFY_SMTP_PASSWORD",
    )
    notify_from: str | None = _setting(
        "notifyFrom",
        None,
        "text",
        "operations",
        "Sender of notifications",
        env="WORKPLACE_NOTIFY_FROM",
    )
    notify_to: list[str] | None = _setting(
        "notifyTo", None, "list", "operations", "Notification recipients", env="WORKPLACE_NOTIFY_TO"
    )
    notify_webhook_url: SecretStr | None = _setting(
        "notifyWebhookUrl",
        None,
        "secret",
        "operations",
        "Webhook URL for notifications",
        env="WORKPLACE_NOTIFY_WEBHOOK_URL",
    )
    notify_webhook_headers: dict[str, str] | None = _setting(
        "notifyWebhookHeaders",
        None,
        "object",
        "operations",
        "Extra webhook headers",
        env="WORKPLACE_NOTIFY_WEBHOOK_HEADERS",
    )
    notify_webhook_allow_insecure: bool = _setting(
        "notifyWebhookAllowInsecure",
        False,
        "boolean",
        "operations",
        "Allow http:// to a non-loopback webhook host",
        env="WORKPLACE_NOTIFY_WEBHOOK_ALLOW_INSECURE",
    )
    notify_ca_file: str | None = _setting(
        "notifyCaFile",
        None,
        "text",
        "operations",
        "PEM bundle of extra CAs for SMTP and the webhook",
        env="WORKPLACE_NOTIFY_CA_FILE",
    )
    notify_timeout: float | None = _setting(
        "notifyTimeout",
        None,
        "number",
        "operations",
        "Seconds per notification connection attempt (default 10)",
        env="WORKPLACE_NOTIFY_TIMEOUT",
    )


class SettingInfo(BaseModel):
    """One setting as `WorkplaceSettings` declares it."""

    model_config = ConfigDict(frozen=True)

    field: str
    key: str
    kind: Kind
    section: Section
    default: Any
    description: str
    env: str | None
    choices: tuple[str, ...]
    minimum: float | None
    maximum: float | None
    above: float | None

    @property
    def setting(self) -> str:
        return f"{NAMESPACE}:{self.key}"

    @property
    def label(self) -> str:
        """How messages name it: `workplace:key` (and its environment variable)."""
        return self.setting + (f" / {self.env}" if self.env else "")


def _infos() -> dict[str, SettingInfo]:
    found: dict[str, SettingInfo] = {}
    for field, info in WorkplaceSettings.model_fields.items():
        extra = info.json_schema_extra
        assert isinstance(extra, dict) and info.alias and info.description
        found[info.alias] = SettingInfo(
            field=field,
            key=info.alias,
            kind=extra["kind"],  # type: ignore[arg-type]
            section=extra["section"],  # type: ignore[arg-type]
            default=info.default,
            description=info.description,
            env=extra["env"],  # type: ignore[arg-type]
            choices=tuple(extra["choices"]),  # type: ignore[arg-type]
            minimum=extra["minimum"],  # type: ignore[arg-type]
            maximum=extra["maximum"],  # type: ignore[arg-type]
            above=extra["above"],  # type: ignore[arg-type]
        )
    return found


SETTINGS: Mapping[str, SettingInfo] = _infos()
"""Setting key (without `workplace:`) -> its declaration."""

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


def parse_boolean(value: Any, label: str) -> bool:
    """true/false, yes/no, on/off, 1/0 (any case); `label` names the setting in the error."""
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise SettingsError(f"{label} must be true or false")


def _raw(info: SettingInfo, config: ConfigSource, environ: Mapping[str, str]) -> Any:
    """The stack config value, else the environment value; None when neither is set."""
    value = config.get(info.setting)
    if value is None or (isinstance(value, str) and not value.strip()):
        value = environ.get(info.env) if info.env else None
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value.strip() if isinstance(value, str) else value


def _json(info: SettingInfo, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise SettingsError(f"{info.label} is not valid JSON") from None


def _bounded(info: SettingInfo, number: float) -> None:
    if info.minimum is not None and number < info.minimum:
        raise SettingsError(f"{info.label} must be at least {info.minimum:g}")
    if info.maximum is not None and number > info.maximum:
        raise SettingsError(f"{info.label} must be at most {info.maximum:g}")
    if info.above is not None and number <= info.above:
        raise SettingsError(f"{info.label} must be greater than {info.above:g}")


def _parse(info: SettingInfo, value: Any) -> Any:
    """One parse per kind; config values arrive as strings, YAML values, or JSON text."""
    kind = info.kind
    if kind in ("text", "secret"):
        if isinstance(value, bool):
            value = str(value).lower()
        elif isinstance(value, int | float):
            value = str(value)
        if not isinstance(value, str):
            raise SettingsError(f"{info.label} must be a string")
        if info.choices:
            # Matched case-insensitively and stored as declared ("OFF" is "off").
            canonical = {c.lower(): c for c in info.choices}
            value = canonical.get(value.lower(), value)
        if info.choices and value not in info.choices:
            raise SettingsError(
                f"{info.setting} must be one of {', '.join(info.choices)}, not {value!r}"
                if kind == "text"
                else f"{info.label} is not one of the allowed values"
            )
        return value
    if kind == "integer":
        try:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            number = int(value)
        except (TypeError, ValueError):
            raise SettingsError(f"{info.label} must be a whole number") from None
        _bounded(info, number)
        return number
    if kind == "number":
        try:
            if isinstance(value, bool):
                raise ValueError
            real = float(value)
        except (TypeError, ValueError):
            raise SettingsError(f"{info.label} must be a number") from None
        if not math.isfinite(real):
            raise SettingsError(f"{info.label} must be a finite number")
        _bounded(info, real)
        return real
    if kind == "boolean":
        return parse_boolean(value, info.label)
    if kind == "list":
        if isinstance(value, str) and value.startswith("["):
            value = _json(info, value)
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise SettingsError(f"{info.label} must be a list of strings")
        return [item.strip() for item in value if item.strip()]
    if kind == "object":
        if isinstance(value, str):
            value = _json(info, value)
        if not isinstance(value, Mapping):
            raise SettingsError(f"{info.label} must be an object")
        if info.key == "notifyWebhookHeaders" and not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise SettingsError(f"{info.label} must be an object of string values")
        return dict(value)
    # "any": structured program values, checked where they are used.
    if isinstance(value, str) and value[:1] in "[{":
        return _json(info, value)
    if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def read_setting(key: str, config: ConfigSource, environ: Mapping[str, str] | None = None) -> Any:
    """One setting's value (parsed), or None when it is not set anywhere."""
    info = SETTINGS[key]
    raw = _raw(info, config, os.environ if environ is None else environ)
    return None if raw is None else _parse(info, raw)


def load_settings(
    config: ConfigSource, environ: Mapping[str, str] | None = None
) -> WorkplaceSettings:
    """Every setting from stack config, else the environment, else its default.

    Raises SettingsError naming the first setting that is unusable.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for key, info in SETTINGS.items():
        raw = _raw(info, config, env)
        if raw is not None:
            value = _parse(info, raw)
            values[key] = SecretStr(value) if info.kind == "secret" else value
    try:
        return WorkplaceSettings.model_validate(values)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            key = str(item["loc"][0]) if item["loc"] else "?"
            problems.append(f"{NAMESPACE}:{key}: {item['msg']}")
        raise SettingsError("; ".join(problems)) from None


def unknown_settings(keys: Iterable[str]) -> list[str]:
    """One message per `workplace:` key that is not a setting, naming the closest settings."""
    problems = []
    prefix = f"{NAMESPACE}:"
    for full in sorted(keys):
        if not full.startswith(prefix) or full[len(prefix) :] in SETTINGS:
            continue
        key = full[len(prefix) :]
        close = difflib.get_close_matches(key, list(SETTINGS), n=3, cutoff=0.6)
        lowered = [k for k in SETTINGS if k.lower() == key.lower()]
        close = list(dict.fromkeys([*lowered, *close]))
        hint = (
            " (did you mean " + " or ".join(f"{prefix}{k}" for k in close) + "?)" if close else ""
        )
        problems.append(f"{full} is not a setting{hint}; docs/configuration.md lists them all")
    return problems


def check_no_unknown_settings(keys: Iterable[str]) -> None:
    """Raise SettingsError when a `workplace:` key is not a setting (a typo is never ignored)."""
    problems = unknown_settings(keys)
    if problems:
        raise SettingsError("; ".join(problems))


# -- the connection -------------------------------------------------------------------------


class ConnectionSettings(BaseModel):
    """How the provider reaches Workplace (or any SCIM 2.0 service)."""

    model_config = ConfigDict(frozen=True)

    tenant_url: str = DEFAULT_TENANT_URL
    token: SecretStr
    page_size: int = Field(default=100, ge=1, le=1000)
    request_timeout: float = Field(default=30.0, gt=0)
    retry_deadline: float = Field(default=120.0, gt=0)
    insecure_skip_tls_verify: bool = False
    profile: ProfileName = "workplace"
    manager_shape: ManagerShape = "managerId"
    update_method: UpdateMethod = "patch"

    def client(self, **overrides: Any) -> ScimClient:
        """A SCIM client for these settings; `overrides` replace client keyword arguments."""
        from pulumi_workplace.scim import ScimClient

        options: dict[str, Any] = {
            "page_size": self.page_size,
            "timeout": self.request_timeout,
            "retry_deadline": self.retry_deadline,
            "verify_tls": not self.insecure_skip_tls_verify,
            "manager_shape": self.manager_shape,
            "update_method": self.update_method,
            "discovery": PROFILES[self.profile].discovery,
        }
        options.update(overrides)
        return ScimClient(self.tenant_url, self.token.get_secret_value(), **options)

    def cache_key(self) -> tuple[object, ...]:
        """Identity of a connection; includes the token so a rotated token gets a new client."""
        return (
            self.tenant_url,
            self.token.get_secret_value(),
            self.page_size,
            self.request_timeout,
            self.retry_deadline,
            self.insecure_skip_tls_verify,
            self.manager_shape,
            self.update_method,
            self.profile,
        )


def connection_from(settings: WorkplaceSettings) -> ConnectionSettings:
    """The connection part of the settings; raises SettingsError without a token."""
    if settings.token is None:
        raise SettingsError(
            "no Workplace token: set it with `pulumi config set --secret workplace:token ...` "
            "or the WORKPLACE_TOKEN environment variable"
        )
    url = settings.tenant_url
    chosen = PROFILES[settings.profile]
    return ConnectionSettings(
        tenant_url=url if url.endswith("/") else url + "/",
        token=settings.token,
        page_size=settings.page_size,
        request_timeout=settings.request_timeout,
        retry_deadline=settings.retry_deadline,
        insecure_skip_tls_verify=settings.insecure_skip_tls_verify,
        profile=settings.profile,
        manager_shape=settings.manager_shape or chosen.manager_shape,
        update_method=settings.update_method or chosen.update_method,
    )


def desired_state_fingerprint(settings: WorkplaceSettings) -> str:
    """A digest of the program settings, which decide the accounts' desired state (all but
    `shard`, whose layout is hashed on its own). They are stack config only (no environment
    fallback), so `pulumi-workplace shards --changed` reads them exactly as the program does;
    a change of target (`tenantUrl`, `profile`, ...) needs a run of every shard."""
    values = settings.model_dump(by_alias=True, mode="json")
    chosen = {
        key: values.get(key)
        for key, info in SETTINGS.items()
        if info.section == "program" and key != "shard"
    }
    text = json.dumps(chosen, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def settings_from(
    config: ConfigSource, environ: Mapping[str, str] | None = None
) -> ConnectionSettings:
    """Connection settings from stack config (`workplace:<key>`), else the environment."""
    return connection_from(load_settings(config, environ))


def settings_table() -> str:
    """The Markdown table of every setting, as docs/configuration.md carries it."""

    def default(info: SettingInfo) -> str:
        value = info.default
        if value is None or value == []:
            return "none"
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return f"`{json.dumps(value) if isinstance(value, list) else value}`"

    rows = ["| Setting | Environment variable | Type | Default | Used by | Meaning |"]
    rows.append("|---|---|---|---|---|---|")
    for info in SETTINGS.values():
        env = f"`{info.env}`" if info.env else ""
        kind = " \\| ".join(f"`{c}`" for c in info.choices) if info.choices else info.kind
        rows.append(
            f"| `{info.setting}` | {env} | {kind} | {default(info)} | {info.section} | "
            f"{info.description} |"
        )
    return "\n".join(rows) + "\n"
