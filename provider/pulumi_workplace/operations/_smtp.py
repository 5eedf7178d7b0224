"""Sending one e-mail with smtplib: STARTTLS or implicit TLS with certificate checks."""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
from email.message import EmailMessage
from typing import Literal

from pulumi_workplace.operations._delivery import DeliveryError

Security = Literal["starttls", "tls", "none"]


def _reply(error: smtplib.SMTPResponseException) -> str:
    text = error.smtp_error
    reply = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{error.smtp_code} {' '.join(reply.split())}"[:200]


def _connect(
    host: str, port: int, security: Security, timeout: float, context: ssl.SSLContext
) -> smtplib.SMTP:
    # socket.getfqdn() (smtplib's default EHLO name) may ask DNS; the host name does not.
    local = socket.gethostname() or "localhost"
    if security == "tls":
        return smtplib.SMTP_SSL(host, port, local_hostname=local, timeout=timeout, context=context)
    client = smtplib.SMTP(host, port, local_hostname=local, timeout=timeout)
    if security == "starttls":
        try:
            client.ehlo()
            if not client.has_extn("starttls"):
                raise DeliveryError(
                    f"SMTP server {host}:{port} does not offer STARTTLS; nothing was sent. Use "
                    "workplace:notifySmtpSecurity tls if the port speaks TLS from the start"
                )
            client.starttls(context=context)
            client.ehlo()
        except BaseException:
            with contextlib.suppress(Exception):
                client.close()
            raise
    return client


def send_email(
    message: EmailMessage,
    *,
    host: str,
    port: int,
    security: Security,
    user: str | None,
    password: str | None,
    timeout: float,
    context: ssl.SSLContext,
) -> list[str]:
    """Send `message` and return the refused recipients (usually none).

    Raises DeliveryError with a password-free reason when nothing was sent.
    """
    where = f"{host}:{port}"
    try:
        client = _connect(host, port, security, timeout, context)
    except DeliveryError:
        raise
    except ssl.SSLCertVerificationError as error:
        raise DeliveryError(
            f"TLS certificate of SMTP server {where} is not trusted ({error.verify_message}); "
            "set workplace:notifyCaFile to the CA that signed it"
        ) from None
    except (ssl.SSLError, smtplib.SMTPServerDisconnected) as error:
        raise DeliveryError(
            f"TLS handshake with SMTP server {where} failed ({type(error).__name__}); check "
            "workplace:notifySmtpSecurity (starttls for 587, tls for 465) and the port"
        ) from None
    except TimeoutError:
        raise DeliveryError(f"timed out connecting to SMTP server {where}") from None
    except smtplib.SMTPResponseException as error:
        raise DeliveryError(f"SMTP server {where} refused the session: {_reply(error)}") from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise DeliveryError(f"cannot reach SMTP server {where}: {reason}") from None
    try:
        if user:
            client.login(user, password or "")
        refused = client.send_message(message)
    except smtplib.SMTPAuthenticationError as error:
        raise DeliveryError(
            f"SMTP server {where} rejected the login of {user!r}: {_reply(error)}; check "
            "workplace:notifySmtpUser and workplace:notifySmtpPassword",
            status=error.smtp_code,
        ) from None
    except smtplib.SMTPNotSupportedError:
        raise DeliveryError(
            f"SMTP server {where} does not offer login (AUTH) on this connection; unset "
            "workplace:notifySmtpUser or use starttls/tls"
        ) from None
    except smtplib.SMTPRecipientsRefused as error:
        everyone = ", ".join(sorted(error.recipients))
        raise DeliveryError(f"SMTP server {where} refused every recipient: {everyone}") from None
    except smtplib.SMTPResponseException as error:
        raise DeliveryError(
            f"SMTP server {where} refused the message: {_reply(error)}", status=error.smtp_code
        ) from None
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(
            f"SMTP delivery to {where} failed: {type(error).__name__}: {error}"
        ) from None
    finally:
        with contextlib.suppress(Exception):
            client.quit()
    return [f"{address} ({_code(reply)})" for address, reply in sorted(refused.items())]


def _code(reply: tuple[int, bytes]) -> str:
    code, text = reply
    return f"{code} {' '.join(text.decode('utf-8', 'replace').split())}"[:120]
