"""Connection settings: stack config under `workplace:`, else environment variables.

The token is held in a `SecretStr` in the provider process only; it is never put on a provider
instance (which Pulumi pickles into state), in a resource's state, or in a message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

if TYPE_CHECKING:
    from pulumi_workplace.scim import ScimClient

DEFAULT_TENANT_URL = "https://scim.workplace.com/"

# Stack config key (without the `workplace:` namespace) -> environment variable.
_ENV_FALLBACK = {
    "tenantUrl": "WORKPLACE_TENANT_URL",
    "token": "WORKPLACE_TOKEN",
    "pageSize": "WORKPLACE_PAGE_SIZE",
    "requestTimeout": "WORKPLACE_REQUEST_TIMEOUT",
    "retryDeadline": "WORKPLACE_RETRY_DEADLINE",
    "insecureSkipTlsVerify": "WORKPLACE_INSECURE_SKIP_TLS_VERIFY",
    "managerShape": "WORKPLACE_MANAGER_SHAPE",
}


class ConfigSource(Protocol):
    """Anything with `get(key)`: a dict of stack config or `pulumi.dynamic.Config`."""

    def get(self, key: str, /) -> Any: ...


class SettingsError(ValueError):
    """A connection setting is missing or invalid; the message names the setting."""


class ConnectionSettings(BaseModel):
    """How the provider reaches Workplace (or any SCIM 2.0 service)."""

    model_config = ConfigDict(frozen=True)

    tenant_url: str = DEFAULT_TENANT_URL
    token: SecretStr
    page_size: int = Field(default=100, ge=1, le=1000)
    request_timeout: float = Field(default=30.0, gt=0)
    retry_deadline: float = Field(default=120.0, gt=0)
    insecure_skip_tls_verify: bool = False
    manager_shape: Literal["managerId", "value"] = "managerId"

    def client(self, **overrides: Any) -> ScimClient:
        """A SCIM client for these settings; `overrides` replace client keyword arguments."""
        from pulumi_workplace.scim import ScimClient

        options: dict[str, Any] = {
            "page_size": self.page_size,
            "timeout": self.request_timeout,
            "retry_deadline": self.retry_deadline,
            "verify_tls": not self.insecure_skip_tls_verify,
            "manager_shape": self.manager_shape,
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
        )


def _parse_bool(key: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no", ""):
        return False
    raise SettingsError(f"workplace:{key} must be true or false, not {raw!r}")


def settings_from(
    config: ConfigSource, environ: Mapping[str, str] | None = None
) -> ConnectionSettings:
    """Read settings from stack config (`workplace:<key>`), falling back to the environment."""
    env = os.environ if environ is None else environ

    def get(key: str) -> str | None:
        value = config.get(f"workplace:{key}")
        if value is not None and not isinstance(value, str):
            value = str(value).lower() if isinstance(value, bool) else str(value)
        if value in (None, ""):
            value = env.get(_ENV_FALLBACK[key])
        return value if value not in (None, "") else None

    token = get("token")
    if token is None:
        raise SettingsError(
            "no Workplace token: set it with `pulumi config set --secret workplace:token ...` "
            "or the WORKPLACE_TOKEN environment variable"
        )
    values: dict[str, object] = {"token": SecretStr(token)}
    if (url := get("tenantUrl")) is not None:
        values["tenant_url"] = url if url.endswith("/") else url + "/"
    numeric = {"pageSize": "page_size", "requestTimeout": "request_timeout"}
    numeric["retryDeadline"] = "retry_deadline"
    for key, field in numeric.items():
        if (raw := get(key)) is not None:
            values[field] = raw
    if (raw := get("insecureSkipTlsVerify")) is not None:
        values["insecure_skip_tls_verify"] = _parse_bool("insecureSkipTlsVerify", raw)
    if (raw := get("managerShape")) is not None:
        values["manager_shape"] = raw
    try:
        return ConnectionSettings.model_validate(values)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            field = str(item["loc"][0]) if item["loc"] else "?"
            key = next(
                (k for k, f in {**numeric, "managerShape": "manager_shape"}.items() if f == field),
                field,
            )
            problems.append(f"workplace:{key}: {item['msg']}")
        raise SettingsError("; ".join(problems)) from None
