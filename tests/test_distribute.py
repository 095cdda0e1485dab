"""``ipsreport distribute``: the cover emails, the outbox, and sending to a real SMTP server.

The server is aiosmtpd on 127.0.0.1 (a port of the test's own), with a handler that keeps
every message it is given, refuses the recipients a test names (4xx or 5xx), and can hold a
message until the test lets it go (to kill or interrupt a run while the server has it).
The documents are a real batch of the guide for three municipalities (HTML, PDF and docx;
conftest's ``guide_batch``, rendered once for the session), copied for each test; the tests
of hostile names and of usage errors use a small folder of their own with the same manifest
shape.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email
import email.policy
import hashlib
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from ipsreport.cli import main
from ipsreport.distribute import LOG_NAME, read_recipients
from ipsreport.paths import PROJECT_ROOT
from ipsreport.render import Manifest

GUIDE = PROJECT_ROOT / "reports" / "guide.qmd"
KOMMUNER = PROJECT_ROOT / "data" / "kommuner.csv"
CLI = [sys.executable, "-c", "from ipsreport.cli import main; main()"]
SENDER = "STAR <ips@star.example>"
# Five addresses for three municipalities: N messages.
RECIPIENTS = """kommunekode,email,navn
461,ips@odense.example,Jobcenter Odense
461,chef@odense.example,
101,ips@kk.example,Københavns Jobcenter
0751,ips@aarhus.example,
751,leder@aarhus.example,
"""
ADDRESSES = ["ips@odense.example", "chef@odense.example", "ips@kk.example",
             "ips@aarhus.example", "leder@aarhus.example"]
FILES = {"ips@odense.example": "461-odense", "chef@odense.example": "461-odense",
         "ips@kk.example": "101-koebenhavn", "ips@aarhus.example": "751-aarhus",
         "leder@aarhus.example": "751-aarhus"}
SMTP_ENV = ("IPSREPORT_SMTP_HOST", "IPSREPORT_SMTP_PORT", "IPSREPORT_SMTP_SECURITY",
            "IPSREPORT_SMTP_USER", "IPSREPORT_SMTP_PASSWORD", "IPSREPORT_SMTP_CA_FILE",
            "IPSREPORT_MAIL_FROM")
HOLD_LIMIT = 60.0  # seconds a held message waits at most for the test to let it go


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(autouse=True)
def _no_smtp_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SMTP_ENV:
        monkeypatch.delenv(name, raising=False)


# -- a real SMTP server ---------------------------------------------------------------------


class Mailbox:
    """aiosmtpd's handler: keeps each message, refuses some recipients, holds one."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage, bool]] = []
        self.refuse: dict[str, str] = {}
        self.hold: int | None = None  # the number of the message (1, 2, ...) to hold
        self.holding = threading.Event()
        self.release = threading.Event()
        self.logins: list[str] = []
        self._count = 0

    async def handle_RCPT(self, _server: Any, _session: Any, envelope: Any, address: str,
                          _rcpt_options: Any) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self._count += 1
        message = email.message_from_bytes(envelope.original_content,
                                           policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        # over TLS: upgraded by STARTTLS (session.ssl), or from the start (implicit TLS)
        tls = session.ssl is not None or \
            server.transport.get_extra_info("ssl_object") is not None
        self.received.append((list(envelope.rcpt_tos), message, tls))
        if self._count == self.hold:
            self.holding.set()
            deadline = time.monotonic() + HOLD_LIMIT
            while not self.release.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
        return "250 2.0.0 Message accepted for delivery"

    def to(self) -> list[str]:
        return [address for rcpt_tos, _m, _tls in self.received for address in rcpt_tos]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port



@contextlib.contextmanager
def smtp_server(mailbox: Mailbox, **kwargs: Any) -> Iterator[int]:
    """aiosmtpd on 127.0.0.1; yields its port."""
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield port
    finally:
        mailbox.release.set()
        controller.stop()


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def server(mailbox: Mailbox) -> Iterator[int]:
    with smtp_server(mailbox) as port:
        yield port


# -- the documents --------------------------------------------------------------------------


@pytest.fixture
def folder(guide_batch: Path, tmp_path: Path) -> Path:
    """A copy of the session's batch of the guide (conftest), for the test to change."""
    copy = tmp_path / "guide"
    shutil.copytree(guide_batch, copy)
    return copy


@pytest.fixture
def recipients(tmp_path: Path) -> Path:
    path = tmp_path / "modtagere.csv"
    path.write_text(RECIPIENTS, encoding="utf-8")
    return path


def _distribute(folder: Path, recipients: Path, *args: str,
                env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(main, ["distribute", str(folder), "--recipients",
                                     str(recipients), "--from", SENDER, *args], env=env)


def _send(folder: Path, recipients: Path, port: int, *args: str) -> Any:
    return _distribute(folder, recipients, "--send", "--smtp-host", "127.0.0.1",
                       "--smtp-port", str(port), "--smtp-security", "none",
                       "--smtp-timeout", "10", *args)


def _log(folder: Path) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(
        (folder / LOG_NAME).read_text(encoding="utf-8"))["deliveries"]
    return entries


def _text(message: EmailMessage, kind: str) -> str:
    """The message's text or HTML body with the line ends read as a reader sees them."""
    body = message.get_body((kind,))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")


def _attachments(message: EmailMessage) -> dict[str, bytes]:
    return {str(part.get_filename()): part.get_content() for part in message.iter_attachments()}


# -- the recipients file --------------------------------------------------------------------


def test_a_malformed_or_missing_address_is_reported_never_guessed(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "kommunekode,email,navn\n"
        "461,ips@odense.dk,Odense\n"
        "461,,Ingen adresse\n"
        "461,Jobcenter <jc@odense.dk>,\n"
        "461,a@odense.dk; b@odense.dk,\n"
        "461,ips@odense,\n"
        "461,ips @odense.dk,\n"
        '461,"ips@odense.dk\r\nBcc: x@evil.example",\n'
        "461,IPS@Odense.DK,\n"
        ",ips@aarhus.dk,\n"
        '101,kk@kk.dk,"To\nlinjer"\n'
        "101,jobcenter@københavn.dk,\n",
        encoding="utf-8",
    )
    found = [(r.line, r.address.addr_spec if r.address else None, r.problem)
             for r in read_recipients(path)]
    assert found == [
        (2, "ips@odense.dk", ""),
        (3, None, "no address"),
        (4, None, "not one plain address: 'Jobcenter <jc@odense.dk>'"),
        (5, None, "not one plain address: 'a@odense.dk; b@odense.dk'"),
        (6, None, "not a valid address: 'ips@odense'"),
        (7, None, "not one plain address: 'ips @odense.dk'"),
        (8, None, "not one plain address: 'ips@odense.dk\\nBcc: x@evil.example'"),
        (10, None, "IPS@Odense.DK is listed for 461 already"),
        (11, None, "no kommunekode"),
        (12, "kk@kk.dk", ""),
        (14, None, "letters outside ASCII in 'jobcenter@københavn.dk': write the domain as "
                   "its xn-- form and check the mailbox's name"),
    ]
    assert read_recipients(path)[9].name == "To linjer"


# -- the outbox -----------------------------------------------------------------------------


def test_the_outbox_holds_a_danish_email_with_the_pdf(folder: Path, recipients: Path) -> None:
    result = _distribute(folder, recipients)
    assert result.exit_code == 0, result.output
    assert "5 written to the outbox (nothing sent), 0 skipped, 0 failed" in result.output
    outbox = sorted((folder / "outbox").glob("*.eml"))
    assert [path.name for path in outbox] == sorted(
        f"{FILES[address]}--{address.replace('@', '-').replace('.', '-')}.eml"
        for address in ADDRESSES)
    assert not (folder / LOG_NAME).exists()  # nothing was sent
    raw = (folder / "outbox" / "461-odense--ips-odense-example.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert message["From"] == SENDER
    assert message["To"] == "Jobcenter Odense <ips@odense.example>"
    assert message["Subject"] == "IPS i kommunen – Odense"
    text = _text(message, "plain")
    assert text.startswith("Kære Jobcenter Odense\n\n")
    assert "Vedhæftet er »IPS i kommunen« for Odense (kommunekode 461, Region Syddanmark)." \
        in text
    assert "Med venlig hilsen\n\nSTAR\n" in text
    pdf = (folder / "461-odense.pdf").read_bytes()
    size = f"{len(pdf) / 1000:.1f}".replace(".", ",")  # Danish decimals: 105,0 kB
    assert f"- 461-odense.pdf (PDF, {size} kB), SHA-256 {_sha256(pdf)}" in text
    attachments = _attachments(message)
    assert list(attachments) == ["461-odense.pdf"]
    assert _sha256(attachments["461-odense.pdf"]) == _sha256(pdf)
    # the key figures the guide declared about itself, as the batch recorded them
    entry = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["outputs"][
        "461-odense.pdf"]
    figures = [(f["label"], f["text"]) for f in entry["key_figures"]]
    assert figures and "Nøgletal for Odense i dokumentet:\n\n" in text
    for label, shown in figures:
        assert f"- {label}: {shown}\n" in text
    assert _text(message, "html").count("<li>") == len(figures) + 1  # and the one file


def test_the_docx_goes_along_when_asked(folder: Path, recipients: Path) -> None:
    result = _distribute(folder, recipients, "--attach-docx")
    assert result.exit_code == 0, result.output
    raw = (folder / "outbox" / "101-koebenhavn--ips-kk-example.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    attachments = _attachments(message)
    assert list(attachments) == ["101-koebenhavn.pdf", "101-koebenhavn.docx"]
    for name, data in attachments.items():
        assert _sha256(data) == _sha256((folder / name).read_bytes())
    docx_part = next(part for part in message.iter_attachments()
                     if part.get_filename() == "101-koebenhavn.docx")
    assert docx_part.get_content_type() == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert "Word-udgaven kan tilpasses lokalt." in _text(message, "plain")


# -- sending --------------------------------------------------------------------------------


def test_n_messages_arrive_with_byte_identical_attachments_once(
    folder: Path, recipients: Path, mailbox: Mailbox, server: int
) -> None:
    result = _send(folder, recipients, server, "--attach-docx")
    assert result.exit_code == 0, result.output
    assert "5 sent, 0 skipped, 0 failed" in result.output
    assert mailbox.to() == ADDRESSES  # one message each, in the file's order
    log = _log(folder)
    assert [entry["status"] for entry in log] == ["sent"] * 5
    for (rcpt_tos, message, _tls), entry in zip(mailbox.received, log, strict=True):
        stem = FILES[rcpt_tos[0]]
        attachments = _attachments(message)
        assert list(attachments) == [f"{stem}.pdf", f"{stem}.docx"]
        for name, data in attachments.items():
            assert _sha256(data) == _sha256((folder / name).read_bytes())
        assert entry["recipient"] == rcpt_tos[0]
        assert entry["message_id"] == message["Message-ID"]
        assert entry["files"] == [{"name": name, "sha256": _sha256(data)}
                                  for name, data in attachments.items()]
        assert entry["reply"] == "250 2.0.0 Message accepted for delivery"
        assert dt.datetime.strptime(entry["time"], "%Y-%m-%dT%H:%M:%SZ")
    again = _send(folder, recipients, server, "--attach-docx")
    assert again.exit_code == 0, again.output
    assert "0 sent, 5 skipped, 0 failed" in again.output
    assert "461-odense.pdf already sent at" in again.output
    assert len(mailbox.received) == 5  # nothing sent twice


def test_refused_recipients_are_reported_and_the_rerun_sends_exactly_them(
    folder: Path, recipients: Path, mailbox: Mailbox, server: int
) -> None:
    mailbox.refuse = {"chef@odense.example": "450 4.2.1 Mailbox busy, try later",
                      "ips@aarhus.example": "550 5.1.1 No such user"}
    first = _send(folder, recipients, server)
    assert first.exit_code == 1
    assert "3 sent, 0 skipped, 2 failed" in first.output
    assert ("line 3: 461 <chef@odense.example>: refused by the server: 450 4.2.1 Mailbox busy, "
            "try later") in first.output
    assert ("line 5: 0751 <ips@aarhus.example>: refused by the server: 550 5.1.1 No such "
            "user") in first.output
    assert [(e["recipient"], e["status"]) for e in _log(folder)] == [
        ("ips@odense.example", "sent"), ("chef@odense.example", "refused"),
        ("ips@kk.example", "sent"), ("ips@aarhus.example", "refused"),
        ("leder@aarhus.example", "sent")]
    mailbox.refuse = {}
    second = _send(folder, recipients, server)
    assert second.exit_code == 0, second.output
    assert "2 sent, 3 skipped, 0 failed" in second.output
    assert sorted(mailbox.to()) == sorted(ADDRESSES)  # each exactly once over both runs


def _cli_send(folder: Path, recipients: Path, port: int) -> subprocess.Popen[bytes]:
    env = {key: value for key, value in os.environ.items() if key not in SMTP_ENV}
    return subprocess.Popen(
        [*CLI, "distribute", str(folder), "--recipients", str(recipients), "--from", SENDER,
         "--send", "--smtp-host", "127.0.0.1", "--smtp-port", str(port), "--smtp-security",
         "none"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def test_a_killed_run_resumes_without_duplicates(
    folder: Path, recipients: Path, mailbox: Mailbox, server: int
) -> None:
    mailbox.hold = 3  # the server has the third message when the run is killed
    run = _cli_send(folder, recipients, server)
    try:
        assert mailbox.holding.wait(HOLD_LIMIT)
    finally:
        run.kill()
        run.communicate()
    mailbox.release.set()
    assert run.returncode == -signal.SIGKILL
    assert [(e["recipient"], e["status"]) for e in _log(folder)] == [
        ("ips@odense.example", "sent"), ("chef@odense.example", "sent"),
        ("ips@kk.example", "sending")]
    resumed = _send(folder, recipients, server)
    # the third may have arrived (the server had it): it is not sent again unasked
    assert resumed.exit_code == 1
    assert "2 sent, 2 skipped, 1 failed" in resumed.output
    assert "101-koebenhavn.pdf: an attempt at" in resumed.output
    assert mailbox.to() == ADDRESSES  # each exactly once: no duplicate, none missing
    unconfirmed_id = mailbox.received[2][1]["Message-ID"]
    again = _send(folder, recipients, server, "--resend-unconfirmed")
    assert again.exit_code == 0, again.output
    assert "1 sent, 4 skipped, 0 failed" in again.output
    assert mailbox.received[-1][1]["Message-ID"] == unconfirmed_id  # recognisably the same
    assert [e["status"] for e in _log(folder)] == ["sent"] * 5


def test_ctrl_c_finishes_the_message_in_progress_and_the_rerun_sends_the_rest(
    folder: Path, recipients: Path, mailbox: Mailbox, server: int
) -> None:
    mailbox.hold = 2
    run = _cli_send(folder, recipients, server)
    try:
        assert mailbox.holding.wait(HOLD_LIMIT)
        run.send_signal(signal.SIGINT)
        time.sleep(0.2)  # the signal reaches the process while the server holds the message
        mailbox.release.set()
        _out, err = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 130, err.decode()
    assert "finishing the message in progress" in err.decode()
    assert "2 sent, 0 skipped, 0 failed; interrupted with 3 not done" in err.decode()
    assert [e["status"] for e in _log(folder)] == ["sent", "sent"]
    rest = _send(folder, recipients, server)
    assert rest.exit_code == 0, rest.output
    assert "3 sent, 2 skipped, 0 failed" in rest.output
    assert mailbox.to() == ADDRESSES


def test_a_changed_document_is_sent_again_only_when_asked(
    folder: Path, recipients: Path, mailbox: Mailbox, server: int
) -> None:
    assert _send(folder, recipients, server).exit_code == 0
    # the batch renders Odense again, to other bytes (its entry is updated with them)
    path = folder / "461-odense.pdf"
    data = path.read_bytes() + b"\n% rendered again\n"
    manifest = Manifest(folder)
    entry = dict(manifest.entries["461-odense.pdf"], sha256=_sha256(data))
    manifest.update({"461-odense.pdf": entry}, {path: data})
    unasked = _send(folder, recipients, server)
    assert unasked.exit_code == 0, unasked.output
    assert "0 sent, 5 skipped, 0 failed" in unasked.output
    assert "461-odense.pdf changed since it was sent at" in unasked.output
    asked = _send(folder, recipients, server, "--resend-changed")
    assert asked.exit_code == 0, asked.output
    assert "2 sent, 3 skipped, 0 failed" in asked.output
    resent = mailbox.received[-2:]
    assert [rcpt for rcpt, _m, _t in resent] == [["ips@odense.example"], ["chef@odense.example"]]
    assert all(_sha256(_attachments(m)["461-odense.pdf"]) == _sha256(data)
               for _r, m, _t in resent)


def test_a_file_that_is_not_the_batchs_is_not_sent(folder: Path, recipients: Path) -> None:
    (folder / "101-koebenhavn.pdf").write_bytes(b"%PDF-1.7 edited by hand")
    result = _distribute(folder, recipients)
    assert result.exit_code == 1
    assert ("101-koebenhavn.pdf is not the file the batch wrote (its SHA-256 differs from "
            "the manifest's)") in result.output
    assert not list((folder / "outbox").glob("101-*"))


def test_a_server_that_never_answers_is_given_up_on(folder: Path, recipients: Path) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        result = _distribute(folder, recipients, "--send", "--smtp-host", "127.0.0.1",
                             "--smtp-port", str(silent.getsockname()[1]), "--smtp-security",
                             "none", "--smtp-timeout", "1")
    assert result.exit_code == 1
    assert "0 sent, 0 skipped, 5 failed" in result.output
    assert "127.0.0.1" in result.output and "cannot connect" in result.output
    assert "timed out" in result.output


# -- TLS ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    x509 = pytest.importorskip("cryptography.x509")
    import ipaddress

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certificate[0]), str(certificate[1]))
    return context


class _Users:
    def __call__(self, _server: Any, _session: Any, _envelope: Any, _mechanism: str,
                 auth_data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = isinstance(auth_data, LoginPassword) and \
            (auth_data.login, auth_data.password) == (b"star", b"hemmelig")
        return AuthResult(success=ok, handled=False)  # the server gives its own 535


def test_starttls_with_a_login_and_implicit_tls(
    folder: Path, recipients: Path, mailbox: Mailbox, certificate: tuple[Path, Path]
) -> None:
    one = folder.parent / "one.csv"
    one.write_text("kommunekode,email\n461,ips@odense.example\n", encoding="utf-8")
    context = _server_context(certificate)
    env = {"IPSREPORT_SMTP_PASSWORD": "hemmelig"}
    with smtp_server(mailbox, tls_context=context, require_starttls=True,
                     authenticator=_Users(), auth_require_tls=True) as port:
        result = _distribute(folder, one, "--send", "--smtp-host", "127.0.0.1", "--smtp-port",
                             str(port), "--smtp-user", "star", "--smtp-ca-file",
                             str(certificate[0]), env=env)
        assert result.exit_code == 0, result.output
        (folder / LOG_NAME).unlink()  # so that the next runs have something to send
        wrong = _distribute(folder, one, "--send", "--smtp-host", "127.0.0.1", "--smtp-port",
                            str(port), "--smtp-user", "star", "--smtp-ca-file",
                            str(certificate[0]), "--resend-changed",
                            env={"IPSREPORT_SMTP_PASSWORD": "forkert"})
        untrusted = _distribute(folder, one, "--send", "--smtp-host", "127.0.0.1",
                                "--smtp-port", str(port), "--resend-unconfirmed")
    assert [tls for _r, _m, tls in mailbox.received] == [True]
    assert wrong.exit_code == 1 and "login refused: 535" in wrong.output
    assert untrusted.exit_code == 1 and "TLS failed: CERTIFICATE_VERIFY_FAILED" in untrusted.output
    (folder / LOG_NAME).unlink()
    with smtp_server(mailbox, ssl_context=context) as port:
        result = _distribute(folder, one, "--send", "--smtp-host", "127.0.0.1", "--smtp-port",
                             str(port), "--smtp-security", "tls", "--smtp-ca-file",
                             str(certificate[0]))
    assert result.exit_code == 0, result.output
    assert [tls for _r, _m, tls in mailbox.received] == [True, True]


def test_starttls_is_never_given_up_for_plain_text(
    folder: Path, recipients: Path, mailbox: Mailbox, server: int
) -> None:
    result = _distribute(folder, recipients, "--send", "--smtp-host", "127.0.0.1",
                         "--smtp-port", str(server))  # starttls, which this server lacks
    assert result.exit_code == 1
    assert "the server does not offer STARTTLS (nothing is sent in plain text)" in result.output
    assert mailbox.received == []


# -- hostile names and figures --------------------------------------------------------------

HOSTILE = "Ødis\r\nBcc: evil@attacker.example\n<script>alert(1)</script>"


def _hostile_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "hostile"
    folder.mkdir()
    pdf = b"%PDF-1.7\n% not much of a PDF, but the batch recorded it\n"
    (folder / "1-x.pdf").write_bytes(pdf)
    entry = {
        "format": "pdf", "path": "1-x.pdf", "sha256": _sha256(pdf), "params": {"kode": "1"},
        "row": {"key": "1", "name": HOSTILE, "group": "Region\nTo: other@attacker.example"},
        "key_figures": [{"label": "Deltagere\r\nCc: evil@attacker.example", "text": "<b>50</b>"},
                        {"label": "Nutidsværdi", "text": "2,8 mio. kr."}],
    }
    (folder / "manifest.json").write_text(json.dumps({"outputs": {"1-x.pdf": entry}}),
                                          encoding="utf-8")
    return folder


def test_hostile_names_and_figures_cannot_add_headers_or_markup(
    tmp_path: Path, mailbox: Mailbox, server: int
) -> None:
    folder = _hostile_folder(tmp_path)
    recipients = tmp_path / "r.csv"
    recipients.write_text(
        'kommunekode,email,navn\n1,ips@x.example,"Navn\nBcc: x@attacker.example"\n',
        encoding="utf-8")
    written = _distribute(folder, recipients)
    assert written.exit_code == 0, written.output
    [eml] = (folder / "outbox").glob("*.eml")
    sent = _send(folder, recipients, server)
    assert sent.exit_code == 0, sent.output
    assert mailbox.to() == ["ips@x.example"]  # the envelope: this recipient alone
    for raw in (eml.read_bytes(), mailbox.received[0][1].as_bytes()):
        head = raw.split(b"\r\n\r\n" if b"\r\n\r\n" in raw else b"\n\n", 1)[0]
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        names = {name.lower() for name in message}
        assert names <= {"from", "to", "subject", "date", "message-id", "mime-version",
                         "content-type"}
        assert not any(line.lower().startswith((b"bcc:", b"cc:")) for line in head.splitlines())
        assert message["Subject"] == \
            "1-x.pdf – Ødis Bcc: evil@attacker.example <script>alert(1)</script>"
        assert message["To"].addresses[0].addr_spec == "ips@x.example"
        assert message["To"].addresses[0].display_name == "Navn Bcc: x@attacker.example"
        text = _text(message, "plain")
        assert not any(line.startswith(("Bcc:", "Cc:", "To:")) for line in text.splitlines())
        assert "- Deltagere Cc: evil@attacker.example: <b>50</b>" in text
        assert "- Nutidsværdi: 2,8 mio. kr." in text
        page = _text(message, "html")
        assert "<script>" not in page and "<b>50</b>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<li>Deltagere Cc: evil@attacker.example: &lt;b&gt;50&lt;/b&gt;</li>" in page


# -- usage errors: one line, exit status 2, nothing written or sent --------------------------


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--send"], {}, "--send: no SMTP server (give --smtp-host or IPSREPORT_SMTP_HOST)"),
        (["--send", "--smtp-host", "mail.example", "--smtp-port", "0"], {},
         "--smtp-port: 0 is not a port (1 to 65535)"),
        (["--send", "--smtp-host", "mail.example", "--smtp-user", "star"], {},
         "--smtp-user 'star': no password in IPSREPORT_SMTP_PASSWORD (the password is read "
         "from the environment only)"),
        (["--send", "--smtp-host", "mail.example"], {"IPSREPORT_SMTP_PASSWORD": "x"},
         "IPSREPORT_SMTP_PASSWORD is set but no user (--smtp-user or IPSREPORT_SMTP_USER)"),
        (["--send", "--smtp-host", "mail.example", "--smtp-security", "none"],
         {"IPSREPORT_SMTP_USER": "star", "IPSREPORT_SMTP_PASSWORD": "x"},
         "--smtp-security none: a password is not sent in plain text to 'mail.example'; use "
         "starttls or tls (plain text only to a relay on this machine)"),
        (["--send", "--smtp-host", "mail.example", "--smtp-timeout", "0"], {},
         "--smtp-timeout: 0.0 is not allowed: give seconds from 1 to 300"),
        (["--smtp-host", "mail.example"], {},
         "--smtp-host without --send: nothing is sent without it"),
        (["--send", "--smtp-host", "mail.example"], {"IPSREPORT_SMTP_PORT": "smtp"},
         "IPSREPORT_SMTP_PORT: 'smtp' is not a port number"),
        (["--from", "ikke en adresse"], {}, "--from: not one plain address: 'ikke en adresse'"),
    ],
)
def test_bad_smtp_settings_are_refused_before_anything_runs(
    tmp_path: Path, args: list[str], env: dict[str, str], message: str
) -> None:
    folder = _hostile_folder(tmp_path)
    recipients = tmp_path / "r.csv"
    recipients.write_text("kommunekode,email\n1,ips@x.example\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["distribute", str(folder), "--recipients",
                                       str(recipients), "--from", SENDER, *args], env=env)
    assert result.exit_code == 2
    assert result.output.splitlines() == [f"ipsreport: {message}"]
    assert not (folder / "outbox").exists() and not (folder / LOG_NAME).exists()


def test_an_unusable_folder_recipients_file_or_log_is_exit_status_2(tmp_path: Path) -> None:
    folder = _hostile_folder(tmp_path)
    good = tmp_path / "r.csv"
    good.write_text("kommunekode,email\n1,ips@x.example\n", encoding="utf-8")
    no_email = tmp_path / "bad.csv"
    no_email.write_text("kommunekode,adresse\n1,ips@x.example\n", encoding="utf-8")
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [
        (tmp_path / "missing", good, f"{tmp_path / 'missing'}: no such folder"),
        (empty, good, f"{empty}: no manifest.json: not a folder that ipsreport batch wrote"),
        (folder, tmp_path / "none.csv", f"--recipients {tmp_path / 'none.csv'}: no such file"),
        (folder, no_email, f"--recipients {no_email}: line 1: no column email (columns: "
                           "kommunekode, adresse; expected kommunekode,email[,navn])"),
    ]
    for target, recipients, message in cases:
        result = CliRunner().invoke(main, ["distribute", str(target), "--recipients",
                                           str(recipients), "--from", SENDER])
        assert (result.exit_code, result.output.splitlines()) == (2, [f"ipsreport: {message}"])
    (folder / LOG_NAME).write_text("{not json", encoding="utf-8")
    damaged = CliRunner().invoke(main, ["distribute", str(folder), "--recipients", str(good),
                                        "--from", SENDER])
    assert damaged.exit_code == 2
    assert "the delivery log is damaged" in damaged.output
    assert not (folder / "outbox").exists()
    (folder / LOG_NAME).unlink()
    no_sender = CliRunner().invoke(main, ["distribute", str(folder), "--recipients", str(good)])
    assert no_sender.exit_code == 2
    assert no_sender.output == ("ipsreport: no sender: give --from 'Navn <adresse>' or set "
                                "IPSREPORT_MAIL_FROM\n")


def test_a_folder_a_batch_is_writing_to_is_left_alone(tmp_path: Path) -> None:
    from filelock import FileLock

    folder = _hostile_folder(tmp_path)
    recipients = tmp_path / "r.csv"
    recipients.write_text("kommunekode,email\n1,ips@x.example\n", encoding="utf-8")
    with FileLock(str(folder / ".batch.lock")):
        result = CliRunner().invoke(main, ["distribute", str(folder), "--recipients",
                                           str(recipients), "--from", SENDER])
    assert result.exit_code == 2
    assert "a batch is using this folder" in result.output
    assert not (folder / "outbox").exists()
