"""Sending over SMTP: the settings, checked before anything is sent, and one connection.

Host, port, security and user come from options or the environment (``IPSREPORT_SMTP_HOST``,
``IPSREPORT_SMTP_PORT``, ``IPSREPORT_SMTP_SECURITY``, ``IPSREPORT_SMTP_USER``); the password
only from the environment (``IPSREPORT_SMTP_PASSWORD``), never from an option, which other
users of the machine could read in the process list. Security is ``starttls`` (port 587 by
default; the server must offer STARTTLS, there is no falling back to plain text), ``tls``
(implicit TLS, port 465) or ``none`` (port 25), which is allowed with a user and password
only to this machine (a relay on localhost). Certificates are verified against the system's
authorities, or ``--smtp-ca-file``'s. Every network operation waits at most ``timeout``
seconds.

Each message goes in three steps (MAIL, RCPT, DATA) so that the server's own reply to each
is kept: a refusal (4xx or 5xx) is reported for that recipient and the connection goes on
to the next; a connection that breaks is opened again for the next message.
"""

from __future__ import annotations

import contextlib
import ipaddress
import math
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from types import TracebackType

from ipsreport.errors import IpsreportError, shown

HOST_ENV = "IPSREPORT_SMTP_HOST"
PORT_ENV = "IPSREPORT_SMTP_PORT"
SECURITY_ENV = "IPSREPORT_SMTP_SECURITY"
USER_ENV = "IPSREPORT_SMTP_USER"
PASSWORD_ENV = "IPSREPORT_SMTP_PASSWORD"
CA_FILE_ENV = "IPSREPORT_SMTP_CA_FILE"
SECURITIES = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
DEFAULT_TIMEOUT = 30.0
MIN_TIMEOUT, MAX_TIMEOUT = 1.0, 300.0


class SmtpSettingsError(IpsreportError):
    """SMTP settings that cannot work (exit status 2, before anything is sent)."""


class Refused(Exception):
    """The server refused this message (for this recipient), or the connection broke before
    the message was handed over: nothing was delivered."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


class Unconfirmed(Exception):
    """The connection broke while the server had the message: it may have arrived."""


class TransportError(Exception):
    """No connection to send over: connecting, TLS or logging in failed."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    user: str | None
    password: str | None = field(repr=False)
    timeout: float
    ca_file: Path | None = None

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port} ({self.security})"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def smtp_settings(
    *,
    host: str | None,
    port: int | None,
    security: str | None,
    user: str | None,
    timeout: float,
    ca_file: str | None,
    environ: Mapping[str, str],
) -> SmtpSettings:
    """The settings from the options, else the environment; :class:`SmtpSettingsError`
    naming the option or variable when they cannot work."""
    host = (host or environ.get(HOST_ENV) or "").strip()
    if not host:
        raise SmtpSettingsError(f"--send: no SMTP server (give --smtp-host or {HOST_ENV})")
    if any(char.isspace() or ord(char) < 0x20 for char in host) or len(host) > 253:
        raise SmtpSettingsError(f"--smtp-host: {shown(host)} is not a host name")
    chosen = (security or environ.get(SECURITY_ENV) or "starttls").strip().lower()
    if chosen not in SECURITIES:
        raise SmtpSettingsError(
            f"--smtp-security: {shown(chosen)} is not allowed; choose from {', '.join(SECURITIES)}"
        )
    if port is None and environ.get(PORT_ENV):
        text = environ[PORT_ENV].strip()
        if not text.isdigit():
            raise SmtpSettingsError(f"{PORT_ENV}: {shown(text)} is not a port number")
        port = int(text)
    port = DEFAULT_PORTS[chosen] if port is None else port
    if not 1 <= port <= 65535:
        raise SmtpSettingsError(f"--smtp-port: {port} is not a port (1 to 65535)")
    if not (math.isfinite(timeout) and MIN_TIMEOUT <= timeout <= MAX_TIMEOUT):
        raise SmtpSettingsError(
            f"--smtp-timeout: {shown(timeout)} is not allowed: give seconds from "
            f"{MIN_TIMEOUT:g} to {MAX_TIMEOUT:g}"
        )
    user = (user or environ.get(USER_ENV) or "").strip() or None
    password = environ.get(PASSWORD_ENV) or None
    if user and not password:
        raise SmtpSettingsError(f"--smtp-user {shown(user)}: no password in {PASSWORD_ENV} "
                                "(the password is read from the environment only)")
    if password and not user:
        raise SmtpSettingsError(f"{PASSWORD_ENV} is set but no user (--smtp-user or {USER_ENV})")
    if user and chosen == "none" and not _is_loopback(host):
        raise SmtpSettingsError(
            f"--smtp-security none: a password is not sent in plain text to {shown(host)}; "
            "use starttls or tls (plain text only to a relay on this machine)"
        )
    ca_text = ca_file or environ.get(CA_FILE_ENV) or None
    ca_path = Path(ca_text) if ca_text else None
    if ca_path is not None and not ca_path.is_file():
        raise SmtpSettingsError(f"--smtp-ca-file: {shown(str(ca_path), 200)} is not a file")
    return SmtpSettings(host=host, port=port, security=chosen, user=user, password=password,
                        timeout=timeout, ca_file=ca_path)


def _reply(code: int, text: bytes | str) -> str:
    body = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return " ".join(f"{code} {body}".split())


class Connection:
    """One SMTP connection, opened on first use and again after it broke."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def _context(self) -> ssl.SSLContext:
        cafile = str(self.settings.ca_file) if self.settings.ca_file else None
        return ssl.create_default_context(cafile=cafile)

    def open(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        s = self.settings
        try:
            smtp: smtplib.SMTP
            if s.security == "tls":
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                        context=self._context())
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            try:
                smtp.ehlo()
                if s.security == "starttls":
                    if not smtp.has_extn("starttls"):
                        raise TransportError(f"{s.where}: the server does not offer STARTTLS "
                                             "(nothing is sent in plain text)")
                    smtp.starttls(context=self._context())
                    smtp.ehlo()
                if s.user and s.password:
                    smtp.login(s.user, s.password)
            except BaseException:
                smtp.close()
                raise
        except smtplib.SMTPAuthenticationError as error:
            raise TransportError(f"{s.where}: login refused: "
                                 f"{_reply(error.smtp_code, error.smtp_error)}") from None
        except ssl.SSLError as error:
            raise TransportError(f"{s.where}: TLS failed: {error.reason or error}") from None
        except (smtplib.SMTPException, OSError) as error:
            raise TransportError(f"{s.where}: cannot connect: "
                                 f"{' '.join(str(error).split()) or type(error).__name__}") \
                from None
        self._smtp = smtp
        return smtp

    def send(self, message: EmailMessage, sender: str, recipient: str) -> str:
        """Send ``message`` to ``recipient`` alone; the server's reply to its data.

        Raises :class:`Refused` (nothing delivered), :class:`Unconfirmed` (the connection
        broke while the server had the message) or :class:`TransportError` (no connection).
        """
        smtp = self.open()
        handed_over = False
        try:
            code, text = smtp.mail(sender)
            if code != 250:
                self._reset()
                raise Refused(_reply(code, text))
            code, text = smtp.rcpt(recipient)
            if code not in (250, 251):
                self._reset()
                raise Refused(_reply(code, text))
            handed_over = True
            code, text = smtp.data(message.as_bytes(policy=SMTP))
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self.drop()
            why = " ".join(str(error).split()) or type(error).__name__
            if handed_over:
                raise Unconfirmed(f"the connection broke while the server had the message: "
                                  f"{why}") from None
            raise Refused(f"the connection broke before the message was handed over: {why}") \
                from None
        except smtplib.SMTPResponseException as error:  # a refused DATA command
            self._reset()
            raise Refused(_reply(error.smtp_code, error.smtp_error)) from None
        if code != 250:
            self._reset()
            raise Refused(_reply(code, text))
        return _reply(code, text)

    def _reset(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.drop()

    def drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            with contextlib.suppress(OSError):
                smtp.close()

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
