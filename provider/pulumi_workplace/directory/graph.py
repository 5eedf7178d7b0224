"""Directory from Microsoft Graph: users with their managers, groups with their members.

Authentication is the client-credentials flow (an app registration with `User.Read.All` and
`GroupMember.Read.All` application permissions). Graph property names are translated to the
source attribute names Entra ID provisioning uses (`mobilePhone` -> `mobile`, `businessPhones`
-> `telephoneNumber`, `officeLocation` -> `physicalDeliveryOfficeName`, `employeeOrgData` ->
`division` / `costCenter`, `onPremisesExtensionAttributes` -> `extensionAttribute1..15`), so
mappings written for Entra ID work unchanged. `manager` is the manager's object id.

Throttling (429) and transient errors (503, 504, network errors) are retried, honouring
`Retry-After`. The client secret and the access token never appear in errors, logs or reprs.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from pydantic import SecretStr

from pulumi_workplace._masking import Masker
from pulumi_workplace._retry import Retryable, RetryPolicy, parse_retry_after
from pulumi_workplace.directory.directory import Directory
from pulumi_workplace.directory.errors import DirectoryError
from pulumi_workplace.directory.model import AttributeValue, Group, Person

_log = logging.getLogger(__name__)

USER_SELECT = (
    "id",
    "userPrincipalName",
    "mail",
    "mailNickname",
    "givenName",
    "surname",
    "displayName",
    "jobTitle",
    "department",
    "companyName",
    "employeeId",
    "employeeHireDate",
    "employeeType",
    "employeeOrgData",
    "accountEnabled",
    "mobilePhone",
    "businessPhones",
    "faxNumber",
    "streetAddress",
    "city",
    "state",
    "postalCode",
    "country",
    "officeLocation",
    "preferredLanguage",
    "usageLocation",
    "userType",
    "onPremisesExtensionAttributes",
)
"""User properties read from Graph."""

_RENAMED = {
    "mobilePhone": "mobile",
    "faxNumber": "facsimileTelephoneNumber",
    "officeLocation": "physicalDeliveryOfficeName",
}
_SPLIT = {
    "id": (),  # the person's id, not an attribute (mappings reach it as `objectId`)
    "businessPhones": ("telephoneNumber",),
    "employeeOrgData": ("division", "costCenter"),
    "onPremisesExtensionAttributes": tuple(f"extensionAttribute{i}" for i in range(1, 16)),
}
SOURCE_ATTRIBUTES = frozenset(
    {
        *(name for prop in USER_SELECT for name in _SPLIT.get(prop, (_RENAMED.get(prop, prop),))),
        "manager",  # $expand=manager
    }
)
"""The source attribute names `USER_SELECT` gives, after the renaming `_person` does."""
_RETRIED = frozenset({429, 500, 502, 503, 504})
_USER = "#microsoft.graph.user"
_GROUP = "#microsoft.graph.group"


class _Retry(Retryable):
    """A throttled or failed Graph exchange: the last response, or the transport error."""

    def __init__(
        self,
        *,
        response: httpx.Response | None = None,
        error: httpx.TransportError | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__("Graph retry", retry_after=retry_after)
        self.response = response
        self.error = error


def load_graph(
    tenant_id: str,
    client_id: str,
    client_secret: str,
    *,
    group_ids: Sequence[str] | None = None,
    transport: httpx.BaseTransport | None = None,
    authority: str = "https://login.microsoftonline.com",
    graph: str = "https://graph.microsoft.com/v1.0",
    page_size: int = 999,
    max_retries: int = 5,
    timeout: float = 30.0,
    sleep: Callable[[float], None] | None = None,
) -> Directory:
    """Every user, and the groups in `group_ids` (all groups when None) with nested groups."""
    with httpx.Client(transport=transport, timeout=timeout) as client:
        session = _Session(
            client,
            tenant_id=tenant_id,
            client_id=client_id,
            secret=SecretStr(client_secret),
            authority=authority.rstrip("/"),
            graph=graph.rstrip("/"),
            max_retries=max_retries,
            sleep=sleep or time.sleep,
        )
        people = [_person(user) for user in session.users(page_size)]
        groups = session.groups(group_ids, page_size)
    known = {person.id for person in people}
    people = [_drop_unknown_manager(person, known) for person in people]
    group_ids_known = {group.id for group in groups}
    groups = [
        group.model_copy(
            update={
                "member_ids": tuple(
                    m for m in group.member_ids if m in known or m in group_ids_known
                )
            }
        )
        for group in groups
    ]
    # The schema: what was asked for, whether or not anyone has a value, and any other
    # property Graph returned.
    attribute_names = set(SOURCE_ATTRIBUTES)
    for person in people:
        attribute_names.update(person.attributes)
    return Directory(
        people,
        groups,
        source=f"Microsoft Graph (tenant {tenant_id})",
        attribute_names=attribute_names,
    )


class _Session:
    """Authenticated GETs with paging and retries; holds the secret only as `SecretStr`."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        tenant_id: str,
        client_id: str,
        secret: SecretStr,
        authority: str,
        graph: str,
        max_retries: int,
        sleep: Callable[[float], None],
    ) -> None:
        self._client = client
        self._tenant_id = tenant_id
        self._client_id = client_id
        self._secret = secret
        self._authority = authority
        self._graph = graph
        self._origin = _origin(graph)
        self._policy = RetryPolicy(
            max_attempts=max(0, max_retries) + 1,
            deadline=math.inf,
            backoff_initial=1.0,
            backoff_max=60.0,
            jitter=False,
        )
        self._sleep = sleep
        self._token: SecretStr | None = None
        self._expires = 0.0

    def __repr__(self) -> str:
        return f"_Session(tenant={self._tenant_id!r}, client_id={self._client_id!r})"

    # Token

    def _bearer(self, *, refresh: bool = False) -> str:
        if refresh or self._token is None or time.monotonic() >= self._expires:
            self._fetch_token()
        assert self._token is not None
        return f"Bearer {self._token.get_secret_value()}"

    def _fetch_token(self) -> None:
        url = f"{self._authority}/{quote(self._tenant_id, safe='')}/oauth2/v2.0/token"
        data = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._secret.get_secret_value(),
            "scope": f"{self._origin}/.default",
        }
        what = f"token request for tenant {self._tenant_id}"
        response = self._send(what, lambda: self._client.post(url, data=data))
        body = _json(response, what)
        if response.status_code != 200 or "access_token" not in body:
            code = body.get("error", "error")
            detail = str(body.get("error_description", "")).split("\r\n")[0]
            raise DirectoryError(
                self._scrub(f"{what} failed: HTTP {response.status_code} {code}: {detail}")
            )
        self._token = SecretStr(str(body["access_token"]))
        # Renew a minute early so a long paging run never sends an expired token.
        self._expires = time.monotonic() + float(body.get("expires_in", 3599)) - 60
        _log.debug("got a Graph token for tenant %s", self._tenant_id)

    # Requests

    def _send(self, what: str, request: Callable[[], httpx.Response]) -> httpx.Response:
        """The response, retried while throttled or failing; the last one when retries run out."""

        def exchange() -> httpx.Response:
            try:
                response = request()
            except httpx.TransportError as exc:
                raise _Retry(error=exc) from None
            if response.status_code in _RETRIED:
                # A zero wait would hammer a throttling service: back off as usual instead.
                wait = parse_retry_after(response.headers.get("Retry-After")) or None
                raise _Retry(response=response, retry_after=wait)
            return response

        def log_retry(failure: Retryable, attempt: int, wait: float) -> None:
            if isinstance(failure, _Retry) and failure.response is not None:
                status = failure.response.status_code
                _log.info("%s: HTTP %s, retrying in %.1f s", what, status, wait)

        try:
            return self._policy.retrying(on_retry=log_retry, sleep=self._sleep)(exchange)
        except _Retry as final:
            if final.response is not None:
                return final.response
            raise DirectoryError(self._scrub(f"{what}: network error: {final.error}")) from None

    def get(self, url: str) -> dict[str, Any]:
        """One authenticated GET of `url` (absolute, on the Graph origin)."""
        if _origin(url) != self._origin:
            # Never send the token anywhere but Graph, whatever a nextLink says.
            raise DirectoryError(f"Microsoft Graph returned a link to another host: {url}")
        what = f"Microsoft Graph GET {urlsplit(url).path}"
        refreshed = False
        while True:
            headers = {"Authorization": self._bearer(), "Accept": "application/json"}
            response = self._send(what, functools.partial(self._client.get, url, headers=headers))
            if response.status_code == 401 and not refreshed:
                refreshed = True
                self._bearer(refresh=True)
                continue
            body = _json(response, what)
            if response.status_code != 200:
                found = body.get("error")
                error: dict[str, Any] = found if isinstance(found, dict) else {}
                code = error.get("code", "error")
                message = error.get("message", response.reason_phrase)
                raise DirectoryError(
                    self._scrub(f"{what} failed: HTTP {response.status_code} {code}: {message}")
                )
            return body

    def pages(self, url: str) -> Iterator[dict[str, Any]]:
        """Every item of a collection, following `@odata.nextLink`."""
        next_url: str | None = url
        while next_url:
            body = self.get(next_url)
            yield from body.get("value", [])
            next_url = body.get("@odata.nextLink")

    def users(self, page_size: int) -> Iterator[dict[str, Any]]:
        select = ",".join(USER_SELECT)
        return self.pages(
            f"{self._graph}/users?$select={select}&$expand=manager($select=id)&$top={page_size}"
        )

    def groups(self, group_ids: Sequence[str] | None, page_size: int) -> list[Group]:
        """The groups asked for (all when None), plus groups nested in them."""
        queue: list[tuple[str, str]]
        if group_ids is None:
            queue = [
                (g["id"], g.get("displayName") or g["id"])
                for g in self.pages(f"{self._graph}/groups?$select=id,displayName&$top={page_size}")
            ]
        else:
            queue = []
            for group_id in group_ids:
                body = self.get(
                    f"{self._graph}/groups/{quote(group_id, safe='')}?$select=id,displayName"
                )
                queue.append((body["id"], body.get("displayName") or body["id"]))
        seen = {gid for gid, _ in queue}
        groups: list[Group] = []
        while queue:
            gid, name = queue.pop(0)
            members: list[str] = []
            url = (
                f"{self._graph}/groups/{quote(gid, safe='')}/members"
                f"?$select=id,displayName,userPrincipalName&$top={page_size}"
            )
            for member in self.pages(url):
                kind = member.get("@odata.type")
                if kind not in (_USER, _GROUP):
                    continue  # devices, contacts, service principals are not people
                members.append(member["id"])
                if kind == _GROUP and member["id"] not in seen:
                    seen.add(member["id"])
                    queue.append((member["id"], member.get("displayName") or member["id"]))
            groups.append(Group(id=gid, display_name=name, member_ids=tuple(members)))
        return groups

    def _scrub(self, message: str) -> str:
        # Built per message so the plain secret is not kept outside the SecretStr.
        return Masker((self._secret.get_secret_value(),), patterns=False).text(message)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _json(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        if response.status_code == 200:
            raise DirectoryError(f"{what}: the response is not JSON") from None
        return {}
    return body if isinstance(body, dict) else {}


def _person(user: dict[str, Any]) -> Person:
    attributes: dict[str, AttributeValue] = {}
    for key, value in user.items():
        if key.startswith("@odata") or key in ("id", "manager"):
            continue
        if key == "businessPhones":
            if value:
                attributes["telephoneNumber"] = str(value[0])
        elif key == "employeeOrgData":
            for name in ("division", "costCenter"):
                if value and value.get(name):
                    attributes[name] = str(value[name])
        elif key == "onPremisesExtensionAttributes":
            for name, extension in (value or {}).items():
                if extension:
                    attributes[name] = str(extension)
        elif isinstance(value, bool | int | str):
            attributes[_RENAMED.get(key, key)] = value
    manager = user.get("manager")
    if (
        isinstance(manager, dict)
        and manager.get("@odata.type", _USER) == _USER
        and manager.get("id")
    ):
        attributes["manager"] = str(manager["id"])
    return Person(id=str(user["id"]), attributes=attributes)


def _drop_unknown_manager(person: Person, known: set[str]) -> Person:
    ref = person.manager_ref
    if ref is None or ref in known:
        return person
    attributes = {k: v for k, v in person.attributes.items() if k.lower() != "manager"}
    return Person(id=person.id, attributes=attributes)
