"""`ScimClient`: the Workplace SCIM 2.0 `/Users` API over one pooled httpx client.

Transport, typed CRUD and retries only. `post_user` reports what one create attempt did and
decides nothing else: whether an existing account is looked up and adopted is the provisioning
layer's policy (`pulumi_workplace.resources._matching`).
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, NoReturn, Self
from urllib.parse import quote

import httpx
import tenacity
from pydantic import BaseModel, ConfigDict, ValidationError

from pulumi_workplace._net import is_loopback
from pulumi_workplace._version import __version__
from pulumi_workplace.scim._retry import (
    IDEMPOTENT_RETRYABLE_STATUSES,
    RETRYABLE_STATUSES,
    RetryableOutcome,
    RetryPolicy,
    parse_retry_after,
    retrying,
)
from pulumi_workplace.scim.capabilities import ServerCapabilities
from pulumi_workplace.scim.errors import (
    BadRequestError,
    ClaimedAccountError,
    ClientRequestError,
    ConflictError,
    DuplicateTargetError,
    InsecureTransportError,
    NotFoundError,
    PermissionDeniedError,
    ScimConnectionError,
    ScimError,
    ServerError,
    TLSError,
    UnexpectedResponseError,
    error_from_response,
    token_masker,
)
from pulumi_workplace.scim.filters import eq_filter
from pulumi_workplace.scim.models import (
    ManagerShape,
    ScimUser,
    canonical_path,
)
from pulumi_workplace.scim.patch import PatchOp, PatchOperation, build_patch, merged_user

__all__ = ["ConnectionReport", "PostedUser", "ScimClient"]

_LOG = logging.getLogger("pulumi_workplace.scim")

_ACCEPT = "application/scim+json, application/json"
_HOMEPAGE = "https://github.com/pulumi-workplace"
# Sized for about 8 concurrent callers (Pulumi's default parallelism) plus headroom.
_LIMITS = httpx.Limits(max_connections=16, max_keepalive_connections=8, keepalive_expiry=30.0)
_CONNECT_TIMEOUT = 10.0

# Transport failures before the request left: safe to repeat for any method.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Transport failures after the request may have reached the server.
_MAYBE_SENT = (
    httpx.ReadError,
    httpx.ReadTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
    httpx.RemoteProtocolError,
)
_TLS_MARKERS = ("CERTIFICATE_VERIFY_FAILED", "WRONG_VERSION_NUMBER", "[SSL", "SSLError", "TLS")
# Answers meaning "this server has no such endpoint or method".
_UNSUPPORTED_STATUSES = frozenset({404, 405, 501})


class ConnectionReport(BaseModel):
    """Result of `ScimClient.test_connection`."""

    model_config = ConfigDict(frozen=True)

    base_url: str
    authenticated: bool = True
    can_read_users: bool
    total_users: int | None = None
    supports_patch: bool | None = None
    """From ServiceProviderConfig when the server offers one, else None (unknown)."""
    discovery_available: bool
    elapsed_ms: float


@dataclass(frozen=True)
class PostedUser:
    """A 2xx answer to `POST /Users` (see `ScimClient.post_user`)."""

    user: ScimUser | None
    """The account as stored; None when the answer carried no user id."""
    status: int
    path: str
    """The request path, as error messages name it."""


def _is_tls_failure(error: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError | ssl.CertificateError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    text = str(error)
    return any(marker in text for marker in _TLS_MARKERS)


def _claimed(user: ScimUser) -> bool:
    return bool(user.account_status is not None and user.account_status.claimed)


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _resources(body: Mapping[str, Any]) -> list[Any]:
    # RFC 7644 spells it `Resources`; accept any case, and a missing key as an empty page.
    for key, value in body.items():
        if isinstance(key, str) and key.lower() == "resources":
            return list(value) if isinstance(value, list) else []
    return []


def _user_agent(extra: str | None) -> str:
    agent = f"pulumi-workplace/{__version__} (+{_HOMEPAGE}) httpx/{httpx.__version__}"
    return f"{extra.strip()} {agent}" if extra and extra.strip() else agent


class ScimClient:
    """Client for the Workplace / Meta Work Accounts SCIM 2.0 user API.

    One pooled, thread-safe httpx client per instance; every call retries transient failures
    within `max_attempts` and `retry_deadline` seconds. Use as a context manager or `close()`.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        page_size: int = 100,
        timeout: float = 30.0,
        retry_deadline: float = 120.0,
        max_attempts: int = 8,
        verify_tls: bool = True,
        allow_insecure_http: bool = False,
        manager_shape: Literal["managerId", "value"] = "managerId",
        update_method: Literal["patch", "put", "auto"] = "auto",
        discovery: bool = True,
        user_agent: str | None = None,
        transport: httpx.BaseTransport | None = None,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
    ) -> None:
        """Set up the connection pool; no request is sent.

        `backoff_initial`/`backoff_max` shape the exponential backoff.
        Raises InsecureTransportError for plain HTTP to a non-loopback host unless
        `allow_insecure_http`, and ValueError for unusable arguments.
        """
        token = token.strip() if isinstance(token, str) else ""
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        if not token:
            raise ValueError("the Workplace token is empty: set workplace:token / WORKPLACE_TOKEN")
        if not token.isascii() or not token.isprintable() or any(c.isspace() for c in token):
            # Never echo the token, not even in this message.
            raise ValueError("the Workplace token contains whitespace or non-printable characters")
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        if manager_shape not in ("managerId", "value"):
            raise ValueError("manager_shape must be 'managerId' or 'value'")
        if update_method not in ("patch", "put", "auto"):
            raise ValueError("update_method must be 'patch', 'put' or 'auto'")

        try:
            url = httpx.URL(base_url)
        except httpx.InvalidURL:
            raise ValueError("base_url is not a valid URL") from None
        # The URL is not echoed: it could carry credentials.
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("base_url must be an http(s) URL with a host")
        if url.userinfo:
            raise ValueError("base_url must not contain credentials; the token is sent separately")
        if not url.path.endswith("/"):
            url = url.copy_with(path=url.path + "/")
        if url.scheme == "http" and not is_loopback(url.host):
            if not allow_insecure_http:
                raise InsecureTransportError(
                    f"Refusing to send the token over plain HTTP to {url.host}: use https:// "
                    "(plain HTTP is allowed only for loopback hosts or with allow_insecure_http)"
                )
            _LOG.warning("INSECURE: sending the Workplace token over plain HTTP to %s", url.host)
        if not verify_tls:
            _LOG.warning(
                "INSECURE: TLS certificate verification is OFF for %s; anyone on the network "
                "path can read the Workplace token. Use only against a local test server.",
                url.host,
            )

        self.base_url = str(url.copy_with(query=None, fragment=None))
        self._token = token
        self._host = f"{url.host}:{url.port}" if url.port else url.host
        self._page_size = page_size
        self._manager_shape: ManagerShape = manager_shape
        self._policy = RetryPolicy(
            max_attempts=max_attempts,
            deadline=retry_deadline,
            backoff_initial=backoff_initial,
            backoff_max=backoff_max,
        )
        self._patch_lock = threading.Lock()
        self._update_method = update_method
        # False for servers without discovery endpoints (Meta Work Accounts): never ask them.
        self._discovery = discovery
        self._patch_supported: bool | None = False if update_method == "put" else None
        # `patch` trusts PATCH until the server answers 405/501; `auto` asks discovery first.
        self._patch_checked = update_method != "auto"
        self._put_notice: str | None = None
        self._put_notice_taken = False
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={
                "Authorization": f"Bearer {token}",
                "User-Agent": _user_agent(user_agent),
                "Accept": _ACCEPT,
            },
            timeout=httpx.Timeout(
                timeout,
                connect=min(timeout, _CONNECT_TIMEOUT),
                read=timeout,
                write=timeout,
                pool=timeout,
            ),
            limits=_LIMITS,
            verify=verify_tls,
            transport=transport,
            # A redirect could carry the bearer token to another host; SCIM does not redirect.
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"ScimClient(base_url={self.base_url!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    @property
    def retry_policy(self) -> RetryPolicy:
        """The attempts and time every call may take (`max_attempts`, `retry_deadline`)."""
        return self._policy

    def retry_attempts(self, method: str, path: str) -> tenacity.Retrying:
        """The retry controller for one call of `method` on `path`, logging each retry.

        For callers that drive their own attempts, such as a create that looks the account up
        before it POSTs again; an attempt asks for another by raising `RetryableOutcome`.
        """
        return retrying(self._policy, f"{method} {self._full_path(path)}")

    # -- HTTP plumbing -----------------------------------------------------------------------

    def _full_path(self, path: str) -> str:
        return httpx.URL(self.base_url).join(path).path

    def _send(
        self, method: str, path: str, params: Mapping[str, Any] | None, body: Any
    ) -> httpx.Response:
        """One exchange; transport failures become RetryableOutcome or a final ScimError."""
        headers = {}
        content = None
        if body is not None:
            content = json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        try:
            return self._http.request(method, path, params=params, content=content, headers=headers)
        except httpx.TransportError as error:
            if _is_tls_failure(error):
                raise self._transport_error(error, method, path, 1) from None
            if isinstance(error, _NOT_SENT):
                raise RetryableOutcome(error=error, processed="no") from error
            if isinstance(error, _MAYBE_SENT):
                raise RetryableOutcome(error=error, processed="maybe") from error
            raise self._transport_error(error, method, path, 1) from None

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        idempotent: bool = True,
    ) -> httpx.Response:
        """Send with retries; return a 2xx response or raise the matching ScimError."""
        retry_statuses = IDEMPOTENT_RETRYABLE_STATUSES if idempotent else RETRYABLE_STATUSES
        attempts = 0
        response: httpx.Response | None = None
        try:
            for attempt in self.retry_attempts(method, path):
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    try:
                        response = self._send(method, path, params, body)
                    except RetryableOutcome as outcome:
                        if not idempotent and outcome.processed == "maybe":
                            # The request may have been applied; repeating it might not be safe.
                            self._raise_final(outcome, method, path, attempts)
                        raise
                    if response.status_code in retry_statuses:
                        raise self._retryable(response)
        except RetryableOutcome as final:
            self._raise_final(final, method, path, attempts)
        assert response is not None
        if not response.is_success:
            raise self._response_error(response, attempts)
        return response

    @staticmethod
    def _retryable(response: httpx.Response) -> RetryableOutcome:
        status = response.status_code
        return RetryableOutcome(
            response=response,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            processed="unlikely" if status in (429, 503) else "maybe",
        )

    def _raise_final(
        self, final: RetryableOutcome, method: str, path: str, attempts: int
    ) -> NoReturn:
        raise self.final_error(final, method, path, attempts) from None

    def final_error(
        self, final: RetryableOutcome, method: str, path: str, attempts: int
    ) -> ScimError:
        """The error for `method` on `path` (relative to base_url) when no attempt is left after
        `final`, `attempts` having been sent."""
        if final.response is not None:
            error = self._response_error(final.response, attempts)
            if final.retry_after is not None and final.retry_after > 0:
                self._amend(error, f" (the server asked to wait {final.retry_after:g} s)")
            return error
        assert final.error is not None
        return self._transport_error(final.error, method, path, attempts)

    @staticmethod
    def _amend(error: ScimError, note: str) -> None:
        error.message += note
        error.args = (error.message,)

    def _response_error(self, response: httpx.Response, attempts: int) -> ScimError:
        return error_from_response(
            status=response.status_code,
            method=response.request.method,
            path=response.request.url.path,
            body=response.content,
            secrets=(self._token,),
            attempts=attempts,
        )

    def _transport_error(
        self, error: httpx.TransportError, method: str, path: str, attempts: int
    ) -> ScimError:
        where = f"{method} {self._full_path(path)}"
        reason = " ".join(
            token_masker((self._token,)).text(str(error) or type(error).__name__).split()
        )
        reason = reason[:200]
        note = f" after {attempts} attempts" if attempts > 1 else ""
        if _is_tls_failure(error):
            return TLSError(
                f"TLS failure talking to {self._host} on {where} ({reason}): check that the URL "
                "scheme and port speak HTTPS and that the certificate is trusted",
                method=method,
                path=self._full_path(path),
                detail=reason,
                attempts=attempts,
            )
        if isinstance(error, httpx.TimeoutException):
            summary = f"Timed out talking to Workplace at {self._host}"
        else:
            summary = f"Cannot reach Workplace at {self._host}"
        return ScimConnectionError(
            f"{summary} on {where}{note} ({reason}): check workplace:tenantUrl, DNS and "
            "network access",
            method=method,
            path=self._full_path(path),
            detail=reason,
            attempts=attempts,
        )

    def _json(self, response: httpx.Response) -> Any:
        """The parsed body of a 2xx answer, or None when it is empty."""
        if not response.content.strip():
            return None
        try:
            return response.json()
        except ValueError:
            raise UnexpectedResponseError(
                f"Workplace answered {response.request.method} {response.request.url.path} "
                f"with {response.status_code} but the body is not JSON",
                status=response.status_code,
                method=response.request.method,
                path=response.request.url.path,
            ) from None

    def _json_object(self, response: httpx.Response) -> dict[str, Any]:
        data = self._json(response)
        if not isinstance(data, dict):
            raise UnexpectedResponseError(
                f"Workplace answered {response.request.method} {response.request.url.path} "
                "without the expected JSON object",
                status=response.status_code,
                method=response.request.method,
                path=response.request.url.path,
            )
        return data

    def _user_from_wire(self, data: Any, response: httpx.Response) -> ScimUser:
        try:
            return ScimUser.from_wire(data)
        except (ValidationError, TypeError) as exc:
            first = exc.errors()[0]["loc"] if isinstance(exc, ValidationError) else ()
            where = ".".join(str(part) for part in first) or "body"
            raise UnexpectedResponseError(
                f"Workplace answered {response.request.method} {response.request.url.path} "
                f"with a user this client cannot read (at {where})",
                status=response.status_code,
                method=response.request.method,
                path=response.request.url.path,
            ) from None

    @staticmethod
    def _user_path(user_id: str) -> str:
        user_id = str(user_id).strip()
        if not user_id or user_id in (".", ".."):
            raise ValueError(f"not a usable user id: {user_id!r}")
        return "Users/" + quote(user_id, safe="")

    # -- discovery and connection test -------------------------------------------------------

    def test_connection(self) -> ConnectionReport:
        """Check the token and read access with `GET /Users?count=1` plus discovery.

        Raises AuthenticationError (401), PermissionDeniedError (403), ScimConnectionError
        (DNS, refused, timeout) or TLSError.
        """
        started = time.perf_counter()
        response = self._request("GET", "Users", params={"startIndex": 1, "count": 1})
        body = self._json_object(response)
        total = _as_int(body.get("totalResults"))
        config = self._discover_quietly()
        supports_patch = self._patch_flag(config)
        if self._update_method == "auto":
            self._learn_patch_support(supports_patch)
        return ConnectionReport(
            base_url=self.base_url,
            authenticated=True,
            can_read_users=True,
            total_users=total,
            supports_patch=supports_patch,
            discovery_available=config is not None,
            elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
        )

    def service_provider_config(self) -> dict[str, Any] | None:
        """The ServiceProviderConfig, trying the RFC path then Meta's plural; None if absent."""
        if not self._discovery:
            return None
        for path in ("ServiceProviderConfig", "ServiceProviderConfigs"):
            try:
                response = self._request("GET", path)
            except (ClientRequestError, NotFoundError, ServerError) as error:
                if error.status in _UNSUPPORTED_STATUSES:
                    continue
                raise
            data = self._json(response)
            if isinstance(data, dict):
                resources = _resources(data)
                if resources and isinstance(resources[0], dict) and "patch" not in data:
                    return dict(resources[0])
                return data
        return None

    def schemas(self) -> list[dict[str, Any]] | None:
        """The schema definitions from `/Schemas`; None when the server has no such endpoint."""
        return self._discovery_list("Schemas")

    def resource_types(self) -> list[dict[str, Any]] | None:
        """The resource types from `/ResourceTypes`; None when the server has no such endpoint."""
        return self._discovery_list("ResourceTypes")

    def _discovery_list(self, path: str) -> list[dict[str, Any]] | None:
        # A ListResponse, a bare JSON list, or (some servers, for /Schemas) a single definition.
        if not self._discovery:
            return None
        try:
            response = self._request("GET", path)
        except (ClientRequestError, NotFoundError, ServerError) as error:
            if error.status in _UNSUPPORTED_STATUSES:
                return None
            raise
        data = self._json(response)
        if isinstance(data, list):
            return [item for item in data if isinstance(item, dict)]
        if isinstance(data, dict):
            resources = _resources(data)
            if resources or "totalResults" in data:
                return [item for item in resources if isinstance(item, dict)]
            return [data]
        return None

    def discover(self) -> ServerCapabilities:
        """Read /ServiceProviderConfig (or Meta's /ServiceProviderConfigs), /Schemas and
        /ResourceTypes, each where the server serves it, into one `ServerCapabilities`."""
        config = self.service_provider_config()
        capabilities = ServerCapabilities.read(config, self.schemas(), self.resource_types())
        if self._update_method == "auto":
            self._learn_patch_support(capabilities.supports_patch)
        return capabilities

    def _discover_quietly(self) -> dict[str, Any] | None:
        # Discovery is optional (absent on Work Accounts): only a bad token, TLS or network
        # failure is worth surfacing from here.
        try:
            return self.service_provider_config()
        except (
            ClientRequestError,
            ConflictError,
            PermissionDeniedError,
            ServerError,
            UnexpectedResponseError,
        ) as error:
            _LOG.debug("ServiceProviderConfig unavailable: %s", error)
            return None

    @staticmethod
    def _patch_flag(config: Mapping[str, Any] | None) -> bool | None:
        if not config:
            return None
        patch = config.get("patch")
        if isinstance(patch, Mapping) and isinstance(patch.get("supported"), bool):
            return bool(patch["supported"])
        return None

    def _patch_support(self) -> bool | None:
        """Whether the server supports PATCH: True, False, or None when it does not say."""
        with self._patch_lock:
            checked = self._patch_checked
        if not checked:
            self._learn_patch_support(self._patch_flag(self._discover_quietly()))
        with self._patch_lock:
            return self._patch_supported

    def _learn_patch_support(self, supported: bool | None) -> None:
        # No notice: what discovery says, the program's preview has said already
        # (operations/discovery.py); only a surprise 405/501 is news to the run.
        with self._patch_lock:
            if not self._patch_checked or supported is False:
                self._patch_supported, self._patch_checked = supported, True

    def _mark_patch_unsupported(self, why: str) -> None:
        with self._patch_lock:
            self._patch_supported, self._patch_checked = False, True
            if self._put_notice is None:
                self._put_notice = why

    def take_put_notice(self) -> str | None:
        """Why updates switched from PATCH to PUT, the first time it is asked; None after."""
        with self._patch_lock:
            if self._put_notice is None or self._put_notice_taken:
                return None
            self._put_notice_taken = True
            return self._put_notice

    # -- reading -----------------------------------------------------------------------------

    def get_user(self, user_id: str) -> ScimUser | None:
        """The user with this id, or None when the server answers 404."""
        try:
            response = self._request("GET", self._user_path(user_id))
        except NotFoundError:
            return None
        return self._user_from_wire(self._json_object(response), response)

    def find_user(self, attribute: str, value: str) -> ScimUser | None:
        """The one user whose `attribute` equals `value`, or None.

        Sends `filter=<attribute> eq "<value>"` and re-checks the hits locally (userName and
        e-mail case-insensitively) in case the server ignores or loosens the filter. Raises
        DuplicateTargetError when more than one account matches.
        """
        flt = eq_filter(attribute, value)
        response = self._request("GET", "Users", params={"filter": flt})
        body = self._json_object(response)
        hits: dict[str, ScimUser] = {}
        for index, item in enumerate(_resources(body)):
            user = self._user_from_wire(item, response)
            if _matches(user, attribute, value):
                hits[user.id or f"#{index}"] = user
        if len(hits) > 1:
            ids = ", ".join(sorted(hits))
            raise DuplicateTargetError(
                f"The filter {attribute} eq {value!r} matched {len(hits)} accounts ({ids}): "
                "match on a unique attribute or remove the duplicates",
                method="GET",
                path=response.request.url.path,
            )
        return next(iter(hits.values()), None)

    def iter_users(
        self, *, page_size: int | None = None, start_index: int = 1, stop_index: int | None = None
    ) -> Iterator[ScimUser]:
        """Every user, paged with startIndex/count (from `start_index`; with `stop_index`, the
        pages that start before it: one slice of a listing read in parallel).

        Advances by the number of resources actually returned; stops on an empty page or when
        startIndex passes totalResults. Users repeated across pages (the list shifted) are
        yielded once; a page of nothing but repeats means the server ignores startIndex and
        raises UnexpectedResponseError instead of looping forever.
        """
        count = page_size or self._page_size
        if count < 1:
            raise ValueError("page_size must be at least 1")
        start = start_index
        seen: set[str] = set()
        while stop_index is None or start < stop_index:
            if stop_index is not None:
                count = min(count, stop_index - start)
            response = self._request("GET", "Users", params={"startIndex": start, "count": count})
            body = self._json_object(response)
            resources = _resources(body)
            if not resources:
                return
            fresh = 0
            for item in resources:
                user = self._user_from_wire(item, response)
                key = user.id or json.dumps(item, sort_keys=True, default=str)
                if key in seen:
                    continue
                seen.add(key)
                fresh += 1
                yield user
            if fresh == 0:
                raise UnexpectedResponseError(
                    f"Workplace returned the same users again at startIndex={start}: it seems "
                    "to ignore startIndex, so listing cannot proceed",
                    method="GET",
                    path=response.request.url.path,
                )
            start += len(resources)
            total = _as_int(body.get("totalResults"))
            if total is not None and start > total:
                return

    def list_users(self, *, page_size: int | None = None) -> list[ScimUser]:
        """Every user, as a list (see `iter_users`)."""
        return list(self.iter_users(page_size=page_size))

    def first_page(self, *, page_size: int | None = None) -> tuple[list[ScimUser], int | None]:
        """The first page of users and the totalResults the server reported (None if absent)."""
        count = page_size or self._page_size
        response = self._request("GET", "Users", params={"startIndex": 1, "count": count})
        body = self._json_object(response)
        users = [self._user_from_wire(item, response) for item in _resources(body)]
        return users, _as_int(body.get("totalResults"))

    # -- creating ----------------------------------------------------------------------------

    def post_user(self, user: ScimUser, *, attempt: int = 1) -> PostedUser:
        """Send one `POST /Users`, without retrying, and report what it did.

        Returns the 2xx answer. Raises `RetryableOutcome` for a retryable status (a 500 too) or
        transport failure; its `processed` says whether the account may exist now ("no" only
        when nothing was sent), so look for it before POSTing again. Other failures raise their
        ScimError (error messages count `attempt` attempts): a clash with an existing account
        is a 409 ConflictError, or on some hosts a 400 BadRequestError with scimType
        "uniqueness".
        """
        response = self._send("POST", "Users", None, user.to_wire(self._manager_shape))
        if response.status_code in IDEMPOTENT_RETRYABLE_STATUSES:
            raise self._retryable(response)
        if not response.is_success:
            raise self._response_error(response, attempt)
        data = self._json(response)
        stored = None
        if isinstance(data, dict) and data.get("id") not in (None, ""):
            stored = self._user_from_wire(data, response)
        return PostedUser(user=stored, status=response.status_code, path=response.request.url.path)

    # -- updating ----------------------------------------------------------------------------

    def patch_user(self, user_id: str, before: ScimUser, after: ScimUser) -> ScimUser | None:
        """Apply the difference between `before` and `after` with a minimal PATCH.

        Returns None without a request when nothing differs. Falls back to a
        read-modify-write PUT when the server lacks PATCH (ServiceProviderConfig says so, or
        it answers 405/501) and when it rejects a PATCH that clears attributes.
        """
        operation = build_patch(before, after, manager_shape=self._manager_shape)
        if operation is None:
            return None
        return self._apply(user_id, operation, after)

    def set_active(self, user_id: str, active: bool) -> ScimUser:
        """Deactivate or reactivate with `PATCH replace active` (PUT when PATCH is missing)."""
        operation = PatchOp(
            operations=[PatchOperation(op="replace", path="active", value=bool(active))]
        )
        return self._apply(user_id, operation, ScimUser(active=bool(active)))

    def deactivate_user(self, user_id: str) -> ScimUser:
        """Set `active` false: the person is logged out and notifications stop."""
        return self.set_active(user_id, False)

    def reactivate_user(self, user_id: str) -> ScimUser:
        """Set `active` true."""
        return self.set_active(user_id, True)

    def _apply(self, user_id: str, operation: PatchOp, desired: ScimUser) -> ScimUser:
        path = self._user_path(user_id)
        if self._patch_support() is False:
            return self._put_merged(user_id, desired)
        try:
            response = self._request(
                "PATCH", path, body=operation.to_wire(), idempotent=operation.idempotent
            )
        except (ClientRequestError, ServerError) as error:
            if error.status in (405, 501):
                _LOG.info("PATCH unsupported (%s); using PUT from now on", error.status)
                self._mark_patch_unsupported(
                    f"the server answered PATCH with {error.status}: updates are sent as PUT "
                    "from now on"
                )
                return self._put_merged(user_id, desired)
            if isinstance(error, BadRequestError) and not operation.replace_only:
                # `remove` support is unconfirmed; a full representation clears too.
                _LOG.info("PATCH with remove rejected (%s); clearing with PUT", error)
                return self._put_merged(user_id, desired)
            raise
        return self._user_after_write(response, user_id)

    def _put_merged(self, user_id: str, desired: ScimUser) -> ScimUser:
        current = self.get_user(user_id)
        if current is None:
            raise self._gone(user_id, "the account disappeared before it could be updated")
        return self.replace_user(user_id, merged_user(current, desired))

    def replace_user(self, user_id: str, user: ScimUser) -> ScimUser:
        """PUT the full representation (read-only attributes stripped, clears sent as null)."""
        body = user.to_wire(self._manager_shape, null_for_clears=True)
        response = self._request("PUT", self._user_path(user_id), body=body)
        return self._user_after_write(response, user_id)

    def _user_after_write(self, response: httpx.Response, user_id: str) -> ScimUser:
        data = self._json(response)
        if isinstance(data, dict) and (data.get("id") or data.get("userName")):
            return self._user_from_wire(data, response)
        # 204 No Content (allowed for PATCH): read the result back.
        user = self.get_user(user_id)
        if user is None:
            raise self._gone(user_id, "the account disappeared right after an update")
        return user

    def _gone(self, user_id: str, why: str) -> NotFoundError:
        path = self._full_path(self._user_path(user_id))
        return NotFoundError(
            f"Not found (404) on GET {path}: {why}", status=404, method="GET", path=path
        )

    # -- deleting ----------------------------------------------------------------------------

    def delete_user(self, user_id: str, *, current: ScimUser | None = None) -> None:
        """Delete a never-claimed account; a 404 counts as already deleted.

        Refuses with ClaimedAccountError, without sending the DELETE, when the account is
        claimed (fetched first when `current` is not given): claimed accounts can only be
        deactivated.
        """
        path = self._user_path(user_id)
        if current is None:
            current = self.get_user(user_id)
            if current is None:
                return
        if _claimed(current):
            raise self._claimed_error(path)
        try:
            self._request("DELETE", path)
        except NotFoundError:
            return
        except (ClientRequestError, ConflictError, PermissionDeniedError) as error:
            # The account may have been claimed since it was read.
            fresh = self.get_user(user_id)
            if fresh is not None and _claimed(fresh):
                raise self._claimed_error(path) from error
            raise

    def _claimed_error(self, path: str) -> ClaimedAccountError:
        full = self._full_path(path)
        return ClaimedAccountError(
            f"Refusing to DELETE {full}: the account has been claimed by its owner and can "
            "only be deactivated (active=false)",
            method="DELETE",
            path=full,
        )


def _matches(user: ScimUser, attribute: str, value: str) -> bool:
    """Re-check a filter hit locally."""
    lowered = attribute.lower()
    if lowered == "username":
        return (user.user_name or "").lower() == value.lower()
    if lowered in ("emails.value", "emails"):
        return any((email.value or "").lower() == value.lower() for email in user.emails or [])
    try:
        path = canonical_path(attribute)
    except ValueError:
        return True  # not an attribute this model holds: trust the server
    current = user.get_path(path)
    return isinstance(current, str) and current == value
