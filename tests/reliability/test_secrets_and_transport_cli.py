"""The token (and the SMTP password) never show up anywhere; HTTPS and TLS rules hold.

"Anywhere": the raw files of the file backend (checkpoints, backups, history, locks), the
pickled provider in the state, PULUMI_HOME, the project folder (stack config, provisioning
log), the output of preview/up/refresh/destroy, the engine and plugin debug logs
(`--debug --logtostderr -v=9 --logflow`), the emulator's own output, the text of failing
runs, and the notification e-mail a failing run sends.
"""

from __future__ import annotations

import base64
import pickle
import pickletools
import socket
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from reliability_helpers import (
    TOKEN,
    USER_TYPE,
    EmulatorProcess,
    state_dir,
    user_specs,
    write_specs,
)

from loopback_tls import TlsProxy, untrusted_server_context
from pulumi_harness import PulumiProject

pytestmark = pytest.mark.cli

SMTP_USER = "notify@example.com"
SMTP_PASSWORD = "wprel-SMTP-pw-5c0d1e2f3a4b"


def _encodings(secret: str) -> list[str]:
    """The secret and the forms it could hide in: base64 (any alignment), hex."""
    raw = secret.encode()
    forms = [secret, raw.hex()]
    for shift in range(3):
        encoded = base64.b64encode(raw[shift:]).decode()
        forms.append(encoded[2:-4])  # the stable middle, whatever precedes it
    return forms


def _leaks(text: str, *secrets: str) -> list[str]:
    return [form for secret in secrets for form in _encodings(secret) if form in text]


def _files(*folders: Path) -> list[Path]:
    return [p for folder in folders if folder.exists() for p in folder.rglob("*") if p.is_file()]


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.logins: list[str] = []
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp() -> Any:
    """A loopback SMTP server asking for a login (plain text: loopback only)."""
    mailbox = _Mailbox()

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any):
        assert isinstance(data, LoginPassword)
        mailbox.logins.append(data.login.decode())
        ok = data.login.decode() == SMTP_USER and data.password.decode() == SMTP_PASSWORD
        return AuthResult(success=ok, handled=False)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        mailbox.port = probe.getsockname()[1]
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=mailbox.port,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    yield mailbox
    controller.stop()


def _notify_by_mail(project: PulumiProject, port: int) -> None:
    project.config_set_objects(
        {
            "workplace:notifySmtpHost": "127.0.0.1",
            "workplace:notifySmtpPort": port,
            "workplace:notifySmtpSecurity": "none",
            "workplace:notifySmtpUser": SMTP_USER,
            "workplace:notifyFrom": "provisioning@example.com",
            "workplace:notifyTo": "ops@example.com",
        }
    )
    project.config_set("workplace:notifySmtpPassword", SMTP_PASSWORD, secret=True)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_token_and_smtp_password_never_leak(wp_project, make_emulator, smtp, tmp_path):
    workplace = EmulatorProcess(tmp_path / "emulator-cli")
    try:
        project = wp_project(None, tenant_url=workplace.url, specs=user_specs(3))
        _notify_by_mail(project, smtp.port)
        runs = [project.preview(), project.up("--debug", "--logtostderr", "-v=9", "--logflow")]
        runs.append(project.refresh("--debug", "--logtostderr", "-v=9", "--logflow"))
        specs = user_specs(4)
        specs[0]["title"] = "Changed"
        write_specs(project, specs)
        runs += [project.preview("--diff"), project.up("--debug", "--logtostderr", "-v=9")]
        assert workplace.stats()["by_method_kind"]["POST users"] == 4
        project.env["WORKPLACE_ALLOW_DEPROVISIONS"] = "4"  # a destroy that deactivates
        runs.append(project.destroy())
        del project.env["WORKPLACE_ALLOW_DEPROVISIONS"]
    finally:
        emulator_output = workplace.stop()

    # Failing runs: the server answers 500/503 to everything, or only to the creates (so the
    # run records failures and mails a notification), or refuses the token (401).
    project.config_set("workplace:retryDeadline", "2")
    for faults in ({}, {"fault_methods": frozenset({"POST"})}):
        failing = make_emulator(error_rate=1.0, **faults)
        project.config_set("workplace:tenantUrl", failing.url)
        broken = project.up(check=False)
        assert broken.returncode != 0 and "server error" in broken.stdout + broken.stderr
        runs.append(broken)
    refusing = make_emulator(token="a-different-token")
    project.config_set("workplace:tenantUrl", refusing.url)
    denied = project.up(check=False)
    assert denied.returncode != 0 and "401" in denied.stdout + denied.stderr
    runs.append(denied)

    outputs = "\n".join(run.stdout + run.stderr for run in runs)
    assert "level" in outputs and "Configure" in outputs, "no debug log in the output"
    assert _leaks(outputs, TOKEN, SMTP_PASSWORD) == []
    assert _leaks(emulator_output, TOKEN, SMTP_PASSWORD) == []
    assert "listening on" in emulator_output

    # The failing run sent one notification; it names no secret either.
    assert smtp.messages, "the failing run sent no notification"
    assert smtp.logins == [SMTP_USER]
    for message in smtp.messages:
        assert _leaks(message.decode(errors="replace"), TOKEN, SMTP_PASSWORD) == []

    # Files: state (checkpoints, backups, history), PULUMI_HOME, the project folder.
    home = Path(project.env["PULUMI_HOME"])
    files = _files(state_dir(project), home, project.workdir)
    names = {p.name for p in files}
    assert "provisioning-log.jsonl" in names, sorted(names)
    assert any(p.suffix == ".json" and "stacks" in p.parts for p in files)
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        assert _leaks(text, TOKEN, SMTP_PASSWORD) == [], path
    stack_file = (project.workdir / f"Pulumi.{project.stack}.yaml").read_text()
    assert "secure:" in stack_file  # stored, but encrypted by the secrets provider


def test_state_holds_only_a_class_reference_to_the_provider(make_emulator, wp_project):
    emulator = make_emulator()
    project = wp_project(emulator, specs=user_specs(2))
    project.up()
    users = project.resources(USER_TYPE)
    assert len(users) == 2
    for resource in users:
        for props in (resource.get("inputs") or {}, resource.get("outputs") or {}):
            blob = base64.b64decode(props["__provider"])
            # Only globals (module + name) and an empty object: no attribute, no value.
            ops = [(op.name, arg) for op, arg, _ in pickletools.genops(blob)]
            strings = [arg for name, arg in ops if name.endswith("UNICODE") and arg]
            assert strings == ["pulumi_workplace.resources._user_provider", "UserProvider"], ops
            assert not {"BUILD", "SETITEM", "SETITEMS"} & {name for name, _ in ops}, ops
            provider = pickle.loads(blob)  # noqa: S301 - our own state, in a test
            assert vars(provider) == {}
            assert TOKEN.encode() not in blob
        assert "token" not in str(resource.get("outputs")).lower()


@pytest.mark.parametrize(
    "url",
    [
        "http://example.invalid/",
        "http://127.0.0.1.example.invalid/scim/",
        "http://LOCALHOST.example.invalid:8080/",
    ],
)
def test_plain_http_to_a_remote_host_is_refused_before_any_request(wp_project, url):
    project = wp_project(None, tenant_url=url, specs=user_specs(1))
    result = project.preview(check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Refusing to send the token over plain HTTP" in output, output
    assert "https://" in output
    # Refused before any connection: no DNS or connect error was ever met.
    assert "Cannot reach" not in output and "Timed out" not in output
    assert _leaks(output, TOKEN) == []


def test_credentials_in_the_tenant_url_are_refused(wp_project):
    project = wp_project(None, tenant_url="http://127.0.0.1@example.invalid/", specs=user_specs(1))
    result = project.preview(check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "must not contain credentials" in output
    assert "Cannot reach" not in output


@pytest.fixture
def tls_emulator(make_emulator):
    """The emulator behind HTTPS with a certificate from a CA nobody trusts."""
    emulator = make_emulator()
    proxy = TlsProxy(emulator.port, untrusted_server_context())
    yield emulator, proxy
    proxy.close()


# Switches that turn certificate checks off in other tools; none may affect the provider.
OTHER_SWITCHES = {
    "PYTHONHTTPSVERIFY": "0",
    "CURL_CA_BUNDLE": "",
    "REQUESTS_CA_BUNDLE": "",
    "NODE_TLS_REJECT_UNAUTHORIZED": "0",
    "GIT_SSL_NO_VERIFY": "1",
    "HTTPX_SSL_VERIFY": "0",
}
INSECURE = "INSECURE: TLS certificate verification is OFF"


def test_tls_is_verified_unless_insecure_skip_tls_verify_which_warns(pulumi_project, tls_emulator):
    emulator, proxy = tls_emulator
    project = pulumi_project(
        "import json, pathlib\nfrom pulumi_workplace import User\n"
        "for s in json.loads(pathlib.Path('users.json').read_text()):\n"
        "    User(s.pop('name'), **s)\n",
        env=OTHER_SWITCHES,
    )
    write_specs(project, user_specs(2))
    project.config_set("workplace:tenantUrl", proxy.url)
    project.config_set("workplace:token", TOKEN, secret=True)

    refused = project.preview(check=False)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert "TLS failure talking to 127.0.0.1" in output and "certificate" in output, output
    assert proxy.handshakes == 0 and proxy.refused >= 1
    assert emulator.stats()["total"] == 0  # not one request got through
    assert INSECURE not in output

    # The documented switch turns verification off, and says so loudly.
    project.config_set("workplace:insecureSkipTlsVerify", "true")
    result = project.up()
    assert INSECURE in result.stdout + result.stderr
    assert proxy.handshakes >= 1 and emulator.stats()["by_method_kind"]["POST users"] == 2
    assert _leaks(result.stdout + result.stderr, TOKEN) == []
    # Every run that talks to Workplace repeats the warning, not just the first.
    again = project.refresh()
    assert INSECURE in again.stdout + again.stderr


def test_insecure_skip_tls_verify_from_the_environment_also_warns(pulumi_project, tls_emulator):
    emulator, proxy = tls_emulator
    project = pulumi_project(
        "from pulumi_workplace import User\nUser('one', user_name='one@example.com')\n",
        env={"WORKPLACE_INSECURE_SKIP_TLS_VERIFY": "true"},
    )
    project.config_set("workplace:tenantUrl", proxy.url)
    project.config_set("workplace:token", TOKEN, secret=True)
    result = project.up()
    assert INSECURE in result.stdout + result.stderr
    assert len(emulator.users()) == 1
