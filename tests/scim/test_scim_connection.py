"""test_connection, authentication and transport failures, and keeping the token secret."""

from __future__ import annotations

import logging
import pickle
import traceback
from typing import Any

import pytest
from scim_helpers import FAST_LOOKUP, TOKEN, rich_user

from pulumi_workplace.resources._matching import create_or_adopt
from pulumi_workplace.scim import (
    AuthenticationError,
    ClaimedAccountError,
    ConflictError,
    DuplicateTargetError,
    InsecureTransportError,
    PermissionDeniedError,
    ScimClient,
    ScimConnectionError,
    ScimError,
    ServerError,
    ThrottledError,
    TLSError,
)


def test_connection_report(server: Any, client: ScimClient) -> None:
    create_or_adopt(client, rich_user(1))
    report = client.test_connection()
    assert report.base_url == server.url
    assert report.authenticated and report.can_read_users
    assert report.total_users == 1
    assert report.supports_patch is True and report.discovery_available is True
    assert report.elapsed_ms > 0


def test_wrong_token_is_an_authentication_error(server: Any, make_client: Any) -> None:
    client = make_client(server.url, token="not-the-token")
    with pytest.raises(AuthenticationError) as raised:
        client.test_connection()
    error = raised.value
    assert error.status == 401 and error.method == "GET" and error.path == "/Users"
    assert str(error).startswith("Workplace rejected the token (401) on GET /Users: check")
    assert server.stats()["total"] == 1  # a 401 is not retried


def test_missing_permission_is_permission_denied(make_server: Any, make_client: Any) -> None:
    server = make_server(permission_denied=True)
    client = make_client(server.url)
    with pytest.raises(PermissionDeniedError, match="Manage Accounts") as raised:
        client.test_connection()
    assert raised.value.status == 403


def test_refused_connection_names_the_host(make_client: Any, closed_port: int) -> None:
    client = make_client(f"http://127.0.0.1:{closed_port}/", max_attempts=2)
    with pytest.raises(ScimConnectionError, match=f"127.0.0.1:{closed_port}") as raised:
        client.test_connection()
    assert not isinstance(raised.value, TLSError)
    assert raised.value.status is None and raised.value.attempts == 2


def test_https_to_a_plain_http_port_is_a_tls_error(server: Any, make_client: Any) -> None:
    client = make_client(f"https://127.0.0.1:{server.port}/")
    with pytest.raises(TLSError, match="TLS") as raised:
        client.test_connection()
    assert not isinstance(raised.value, ScimConnectionError)
    assert raised.value.attempts == 1  # TLS failures are not retried


def test_untrusted_certificate_is_a_tls_error(tls_url: str, make_client: Any) -> None:
    client = make_client(tls_url)
    with pytest.raises(TLSError, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
        client.test_connection()


def test_verify_tls_off_works_and_warns(
    tls_url: str, make_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="pulumi_workplace.scim")
    client = make_client(tls_url, verify_tls=False)
    assert any(
        record.levelno == logging.WARNING and "INSECURE" in record.getMessage()
        for record in caplog.records
    )
    created = create_or_adopt(client, rich_user(1)).user
    assert client.test_connection().total_users == 1
    assert created.id is not None and client.get_user(created.id) is not None


@pytest.mark.parametrize(
    "url", ["http://scim.workplace.com/", "http://10.0.0.1/", "http://127.0.0.1.example.com/"]
)
def test_plain_http_to_a_remote_host_is_refused(url: str) -> None:
    with pytest.raises(InsecureTransportError, match="plain HTTP"):
        ScimClient(url, TOKEN)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:1/", "http://127.9.8.7/", "http://localhost:8/", "http://[::1]:8/"]
)
def test_plain_http_to_loopback_is_allowed(url: str) -> None:
    ScimClient(url, TOKEN).close()


def test_allow_insecure_http_overrides_and_warns(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="pulumi_workplace.scim")
    ScimClient("http://scim.example.com/", TOKEN, allow_insecure_http=True).close()
    assert "INSECURE" in caplog.text


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/", "127.0.0.1:8080", "https:///Users", "https://u:pw@127.0.0.1/"]
)
def test_unusable_urls_are_rejected(url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        ScimClient(url, TOKEN)


@pytest.mark.parametrize("token", ["", "   ", f"{TOKEN}\r\nX-Evil: 1", f"a {TOKEN}"])
def test_unusable_tokens_are_rejected_without_echo(token: str) -> None:
    with pytest.raises(ValueError, match="token") as raised:
        ScimClient("http://127.0.0.1:1/", token)
    assert TOKEN not in str(raised.value)


def _texts(error: BaseException) -> list[str]:
    """Everything an error could show: message, repr, args, attributes, traceback, pickle."""
    texts = [str(error), repr(error), *map(repr, error.args), repr(vars(error))]
    texts.append("".join(traceback.format_exception(error)))
    texts.append(repr(pickle.dumps(error)))
    return texts


def test_the_token_never_appears_in_any_error(
    make_server: Any, make_client: Any, closed_port: int
) -> None:
    errors: list[BaseException] = []

    def collect(call: Any, expected: type[BaseException]) -> None:
        with pytest.raises(expected) as raised:
            call()
        errors.append(raised.value)

    wrong = "WrongToken-Secret-5d1a"
    server = make_server()
    collect(make_client(server.url, token=wrong).test_connection, AuthenticationError)
    good = make_client(server.url)
    first = create_or_adopt(good, rich_user(1)).user
    assert first.id is not None
    collect(
        lambda: create_or_adopt(
            good,
            rich_user(1).model_copy(update={"external_id": "zz"}),
            match_on=["externalId"],
            **FAST_LOOKUP,
        ),
        ConflictError,
    )
    create_or_adopt(good, rich_user(2).model_copy(update={"external_id": "same"}))
    create_or_adopt(good, rich_user(3).model_copy(update={"external_id": "same"}))
    collect(lambda: good.find_user("externalId", "same"), DuplicateTargetError)
    server.mark_claimed(first.id)
    collect(lambda: good.delete_user(first.id), ClaimedAccountError)  # type: ignore[arg-type]
    collect(make_client(f"https://127.0.0.1:{server.port}/").list_users, TLSError)
    collect(
        make_client(f"http://127.0.0.1:{closed_port}/", max_attempts=2).list_users,
        ScimConnectionError,
    )
    collect(lambda: ScimClient("http://example.com/", TOKEN), InsecureTransportError)
    denied = make_server(permission_denied=True)
    collect(make_client(denied.url).list_users, PermissionDeniedError)
    throttled = make_server(throttle_rate=1.0, retry_after=0.01)
    collect(make_client(throttled.url, max_attempts=2).list_users, ThrottledError)
    failing = make_server(error_rate=1.0)
    collect(make_client(failing.url, max_attempts=2).list_users, ServerError)
    collect(
        lambda: create_or_adopt(
            make_client(failing.url, max_attempts=2), rich_user(9), **FAST_LOOKUP
        ),
        ServerError,
    )
    dropping = make_server(drop_rate=1.0)
    collect(make_client(dropping.url, max_attempts=2).list_users, ScimConnectionError)

    assert len(errors) == 12 and all(isinstance(error, ScimError) for error in errors)
    for error in errors:
        for text in _texts(error):
            assert TOKEN not in text, type(error).__name__
            assert wrong not in text, type(error).__name__
        assert "Authorization" not in str(error) and "Bearer" not in str(error)
        assert "?" not in error.path  # path only, never a query string


def test_client_repr_hides_the_token(client: ScimClient) -> None:
    assert TOKEN not in repr(client)
