"""Notifications: settings, e-mail over real SMTP servers (plain, STARTTLS, TLS), webhooks."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from operations_helpers import SMTP_PASSWORD, SMTP_USER, SmtpFactory, WebhookReceiver
from pydantic import SecretStr

from pulumi_workplace.operations import (
    NotificationSettings,
    ProvisioningLog,
    RunSummary,
    _webhook,
    read_log,
    send_notification,
    summarise,
)
from pulumi_workplace.operations.notify import settings_from
from pulumi_workplace.settings import SettingsError

HEADER_SECRET = "hdr-secret-7b2e9d41c0"
PATH_SECRET = "/services/T0001/B0002/wEbHoOkSeCrEt42"


@pytest.fixture
def summary(tmp_path: Path) -> RunSummary:
    log = ProvisioningLog(tmp_path / "log.jsonl", stack="prod", run_id="run-42")
    for n in range(4):
        log.record("create", person=f"p{n}@contoso.com", workplace_id=str(n), status="success")
    log.record("deactivate", person="gone@contoso.com", workplace_id="9", status="success")
    log.record(
        "update",
        person="bad@contoso.com",
        workplace_id="10",
        status="failure",
        http_status=400,
        error="Workplace rejected the request (400) on PATCH /Users/10",
    )
    return summarise(read_log(tmp_path / "log.jsonl"))


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_webhook, "_BACKOFF_INITIAL", 0.01)


def _email(host: str, port: int, **more: object) -> NotificationSettings:
    return NotificationSettings(
        smtp_host=host,
        smtp_port=port,
        sender="Workplace Provisioning <provisioning@contoso.com>",
        recipients=["it-ops@contoso.com", "oncall@contoso.com"],
        **more,  # type: ignore[arg-type]
    )


def _parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _no_secret(results: object, *secrets: str) -> None:
    text = repr(results)
    for secret in secrets:
        assert secret not in text


# -- settings --------------------------------------------------------------------------------


def test_settings_from_reads_every_key_with_env_fallbacks(ca_file: Path) -> None:
    config = {
        "workplace:notifySmtpHost": "smtp.contoso.com",
        "workplace:notifySmtpPort": "465",
        "workplace:notifySmtpSecurity": "TLS",
        "workplace:notifySmtpUser": SMTP_USER,
        "workplace:notifyFrom": "provisioning@contoso.com",
        "workplace:notifyTo": "a@contoso.com, b@contoso.com",
        "workplace:notifyWebhookUrl": "https://hooks.example.com" + PATH_SECRET,
        "workplace:notifyWebhookHeaders": f'{{"X-Api-Key": "{HEADER_SECRET}"}}',
        "workplace:notifyCaFile": str(ca_file),
    }
    env = {"WORKPLACE_NOTIFY_SMTP_PASSWORD": SMTP_PASSWORD, "WORKPLACE_NOTIFY_TIMEOUT": "3"}
    settings = settings_from(config, env)
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_security) == (
        "smtp.contoso.com",
        465,
        "tls",
    )
    assert settings.smtp_password is not None
    assert settings.smtp_password.get_secret_value() == SMTP_PASSWORD
    assert settings.recipients == ["a@contoso.com", "b@contoso.com"]
    assert settings.timeout == 3.0 and settings.ca_file == ca_file
    assert settings.webhook_headers["X-Api-Key"].get_secret_value() == HEADER_SECRET
    _no_secret(settings, SMTP_PASSWORD, HEADER_SECRET, PATH_SECRET)
    # A list in stack config works as well as comma-separated text.
    listed = settings_from({**config, "workplace:notifyTo": ["x@contoso.com"]}, env)
    assert listed.recipients == ["x@contoso.com"]


def test_settings_from_with_nothing_set_is_disabled() -> None:
    settings = settings_from({}, {})
    assert not settings.enabled
    assert send_notification(settings, subject="s", summary=None, text="t") == []


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"workplace:notifySmtpHost": "smtp.contoso.com"}, "workplace:notifyFrom"),
        (
            {"workplace:notifySmtpHost": "h", "workplace:notifyFrom": "a@b.c"},
            "workplace:notifyTo must list",
        ),
        ({"workplace:notifyTo": "a@b.c"}, "notifySmtpHost is not"),
        ({"workplace:notifyWebhookUrl": "http://hooks.example.com/x"}, "must use https"),
        ({"workplace:notifySmtpPort": "smtp"}, "workplace:notifySmtpPort"),
        (
            {
                "workplace:notifySmtpHost": "mail.contoso.com",
                "workplace:notifySmtpSecurity": "none",
                "workplace:notifyFrom": "a@contoso.com",
                "workplace:notifyTo": "b@contoso.com",
                "workplace:notifySmtpUser": "u",
            },
            "clear text",
        ),
    ],
)
def test_settings_errors_name_the_key_and_hide_secrets(config: dict[str, str], match: str) -> None:
    env = {"WORKPLACE_NOTIFY_SMTP_PASSWORD": SMTP_PASSWORD}
    with pytest.raises(SettingsError, match=match) as caught:
        settings_from(config, env)
    assert SMTP_PASSWORD not in str(caught.value)


def test_plain_http_webhook_needs_an_explicit_allowance() -> None:
    settings = settings_from(
        {
            "workplace:notifyWebhookUrl": "http://hooks.internal.contoso.com/x",
            "workplace:notifyWebhookAllowInsecure": "true",
        },
        {},
    )
    assert settings.webhook_enabled and settings.webhook_allow_insecure
    # Loopback needs no allowance.
    assert settings_from({"workplace:notifyWebhookUrl": "http://127.0.0.1:9/x"}, {}).webhook_enabled


# -- e-mail ----------------------------------------------------------------------------------


def test_email_over_plain_smtp_has_subject_recipients_and_counts(
    make_smtp: SmtpFactory, summary: RunSummary
) -> None:
    server = make_smtp("plain")
    settings = _email(server.host, server.port, smtp_security="none")
    results = send_notification(
        settings,
        subject="Workplace provisioning: 1 failure\r\nBcc: victim@evil.example",
        summary=summary,
        text="The run finished with failures.",
    )
    assert [r.ok for r in results] == [True], results
    [received] = server.messages
    assert sorted(received.rcpt_tos) == ["it-ops@contoso.com", "oncall@contoso.com"]
    assert received.mail_from == "provisioning@contoso.com"
    message = _parse(received.content)
    # A line break in the subject cannot add a header.
    assert message["Subject"] == "Workplace provisioning: 1 failure Bcc: victim@evil.example"
    assert message["Bcc"] is None
    assert message["To"] == "it-ops@contoso.com, oncall@contoso.com"
    assert message["Auto-Submitted"] == "auto-generated"
    body = message.get_content()
    assert body.startswith("The run finished with failures.")
    rows = [line.split() for line in body.splitlines()]
    assert ["create", "4", "0", "0", "0", "4"] in rows
    assert ["total", "5", "1", "0", "0", "6"] in rows
    assert "bad@contoso.com" in body and "Failures (1)" in body


def test_email_with_starttls_and_login(
    make_smtp: SmtpFactory, ca_file: Path, summary: RunSummary
) -> None:
    server = make_smtp("starttls", auth=True)
    settings = _email(
        server.host,
        server.port,
        smtp_user=SMTP_USER,
        smtp_password=SMTP_PASSWORD,
        ca_file=ca_file,
    )
    results = send_notification(settings, subject="ok", summary=summary, text="done")
    assert results[0].ok, results
    assert server.logins == [SMTP_USER]
    assert len(server.messages) == 1


def test_email_with_implicit_tls(make_smtp: SmtpFactory, ca_file: Path) -> None:
    server = make_smtp("tls")
    settings = _email(server.host, server.port, smtp_security="tls", ca_file=ca_file)
    [result] = send_notification(settings, subject="tls", summary=None, text="hello")
    assert result.ok, result
    assert _parse(server.messages[0].content).get_content().startswith("hello")


def test_untrusted_certificate_is_reported_not_raised(make_smtp: SmtpFactory) -> None:
    server = make_smtp("starttls")
    [result] = send_notification(
        _email(server.host, server.port), subject="s", summary=None, text="t"
    )
    assert not result.ok
    assert result.error is not None and "not trusted" in result.error
    assert "workplace:notifyCaFile" in result.error
    assert server.messages == []


def test_smtp_auth_failure_is_reported_without_the_password(
    make_smtp: SmtpFactory, ca_file: Path
) -> None:
    server = make_smtp("starttls", auth=True)
    wrong = "not-the-Pa55word-3e8a"
    settings = _email(
        server.host, server.port, smtp_user=SMTP_USER, smtp_password=wrong, ca_file=ca_file
    )
    [result] = send_notification(settings, subject="s", summary=None, text=f"t {wrong}")
    assert not result.ok
    assert result.error is not None and "rejected the login" in result.error
    assert result.status == 535
    assert server.messages == []
    _no_secret([result, result.model_dump_json()], wrong)


def test_starttls_missing_is_not_downgraded(make_smtp: SmtpFactory) -> None:
    server = make_smtp("plain")
    [result] = send_notification(
        _email(server.host, server.port), subject="s", summary=None, text="t"
    )
    assert not result.ok and result.error is not None
    assert "does not offer STARTTLS" in result.error
    assert server.messages == []


def test_unreachable_smtp_server_is_reported(closed_port: int) -> None:
    settings = _email("127.0.0.1", closed_port, smtp_security="none", timeout=2)
    [result] = send_notification(settings, subject="s", summary=None, text="t")
    assert not result.ok and result.error is not None
    assert result.error.startswith(f"cannot reach SMTP server 127.0.0.1:{closed_port}")


# -- webhook ---------------------------------------------------------------------------------


def test_webhook_json_and_headers(webhook: WebhookReceiver, summary: RunSummary) -> None:
    settings = NotificationSettings(
        webhook_url=SecretStr(webhook.url(PATH_SECRET)),
        webhook_headers={"X-Api-Key": SecretStr(HEADER_SECRET)},
    )
    [result] = send_notification(settings, subject="Run run-42", summary=summary, text="done")
    assert result.ok and result.channel == "webhook" and result.status == 204
    assert result.target == f"http://127.0.0.1:{webhook.port}"
    [hook] = webhook.requests
    assert hook.path == PATH_SECRET
    assert hook.headers["x-api-key"] == HEADER_SECRET
    assert hook.headers["content-type"] == "application/json"
    body = hook.body
    assert set(body) >= {"event", "stack", "run_id", "subject", "text", "counts", "failures"}
    assert body["event"] == "provisioning.failed"
    assert (body["stack"], body["run_id"], body["subject"]) == ("prod", "run-42", "Run run-42")
    assert body["counts"] == {
        "total": 6,
        "by_action": {"create": 4, "update": 1, "deactivate": 1},
        "by_status": {"success": 5, "failure": 1},
    }
    [failure] = body["failures"]
    assert failure["person"] == "bad@contoso.com" and failure["http_status"] == 400
    assert failure["reason"].startswith("Workplace rejected the request (400)")
    _no_secret(result, PATH_SECRET, HEADER_SECRET)


@pytest.mark.usefixtures("fast_retries")
def test_webhook_retries_5xx_then_succeeds(webhook: WebhookReceiver) -> None:
    webhook.statuses = [500, 503]
    settings = NotificationSettings(webhook_url=SecretStr(webhook.url()))
    [result] = send_notification(settings, subject="s", summary=None, text="t")
    assert result.ok and result.attempts == 3 and result.status == 204
    assert len(webhook.requests) == 3
    assert webhook.requests[0].body["event"] == "provisioning.notice"


@pytest.mark.usefixtures("fast_retries")
def test_webhook_gives_up_after_bounded_retries(webhook: WebhookReceiver) -> None:
    webhook.statuses = [502, 502, 502, 502]
    settings = NotificationSettings(webhook_url=SecretStr(webhook.url(PATH_SECRET)))
    [result] = send_notification(settings, subject="s", summary=None, text="t")
    assert not result.ok and result.attempts == 3 and result.status == 502
    assert len(webhook.requests) == 3
    _no_secret(result, PATH_SECRET)


@pytest.mark.parametrize(("status", "note"), [(400, "answered 400"), (302, "not followed")])
def test_webhook_4xx_and_redirects_are_final(
    webhook: WebhookReceiver, status: int, note: str
) -> None:
    webhook.statuses = [status]
    [result] = send_notification(
        NotificationSettings(webhook_url=SecretStr(webhook.url())),
        subject="s",
        summary=None,
        text="t",
    )
    assert not result.ok and result.attempts == 1 and result.error is not None
    assert note in result.error
    assert len(webhook.requests) == 1


@pytest.mark.usefixtures("fast_retries")
def test_webhook_unreachable_is_reported(closed_port: int) -> None:
    settings = NotificationSettings(
        webhook_url=SecretStr(f"http://127.0.0.1:{closed_port}{PATH_SECRET}")
    )
    [result] = send_notification(settings, subject="s", summary=None, text="t")
    assert not result.ok and result.attempts == 3 and result.error is not None
    assert "ConnectError" in result.error
    _no_secret(result, PATH_SECRET)


def test_https_webhook_to_a_plain_port_fails_fast(webhook: WebhookReceiver) -> None:
    url = webhook.url(PATH_SECRET).replace("http://", "https://")
    [result] = send_notification(
        NotificationSettings(webhook_url=SecretStr(url)), subject="s", summary=None, text="t"
    )
    assert not result.ok and result.attempts == 1 and result.error is not None
    assert "TLS failure" in result.error
    _no_secret(result, PATH_SECRET)


def test_both_channels_and_secrets_masked_in_the_payload(
    make_smtp: SmtpFactory, webhook: WebhookReceiver
) -> None:
    server = make_smtp("plain")
    settings = _email(
        server.host,
        server.port,
        smtp_security="none",
        webhook_url=SecretStr(webhook.url()),
        webhook_headers={"Authorization": SecretStr(f"Bearer {HEADER_SECRET}")},
    )
    results = send_notification(
        settings, subject="s", summary=None, text=f"leaked {HEADER_SECRET} here"
    )
    assert [(r.channel, r.ok) for r in results] == [("email", True), ("webhook", True)]
    assert HEADER_SECRET not in webhook.requests[0].body["text"]
    assert HEADER_SECRET.encode() not in server.messages[0].content
