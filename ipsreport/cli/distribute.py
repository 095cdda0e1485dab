"""``ipsreport distribute``: a batch folder's documents to the municipalities, by email."""

from __future__ import annotations

import os
import re
import sys
from email.headerregistry import Address
from pathlib import Path

import click

from ipsreport.distribute import (
    LOG_NAME,
    OUTBOX_NAME,
    Options,
    SmtpSettingsError,
    distribute,
    parse_address,
    smtp_settings,
)
from ipsreport.distribute._smtp import DEFAULT_TIMEOUT, SECURITIES
from ipsreport.errors import IpsreportError, RenderError, shown
from ipsreport.markup import one_line

EXIT_INTERRUPTED = 130
FROM_ENV = "IPSREPORT_MAIL_FROM"
_NAMED = re.compile(r"^(?P<name>[^<>]*)<(?P<address>[^<>]+)>$")


def parse_sender(value: str, origin: str) -> Address:
    """``Navn <adresse>`` or ``adresse`` as the sender, or an error naming ``origin``."""
    text = value.strip()
    match = _NAMED.match(text)
    name, address_text = (match.group("name"), match.group("address")) if match else ("", text)
    if any(ord(char) < 0x20 for char in value):
        raise IpsreportError(f"{origin}: {shown(value)} holds a line break or control character")
    address, problem = parse_address(address_text)
    if address is None:
        raise IpsreportError(f"{origin}: {problem}")
    display = one_line(name).strip('"').strip()
    return Address(display_name=display, username=address.username, domain=address.domain)


@click.command("distribute")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--recipients", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="CSV with the columns kommunekode and email (and optionally navn), one "
              "line per address.")
@click.option("--from", "sender", default=None, metavar="'NAVN <ADRESSE>'",
              help=f"The sender (default: ${FROM_ENV}).")
@click.option("--outbox", type=click.Path(file_okay=False, path_type=Path), default=None,
              help=f"Where the .eml files go when nothing is sent (default: FOLDER/{OUTBOX_NAME}).")
@click.option("--send", is_flag=True, help="Send over SMTP instead of writing the outbox.")
@click.option("--attach-docx", is_flag=True, help="Attach the docx as well as the PDF.")
@click.option("--resend-changed", is_flag=True,
              help="Send a document again that changed since it was sent.")
@click.option("--resend-unconfirmed", is_flag=True,
              help="Send again a message whose delivery a killed run could not confirm.")
@click.option("--smtp-host", default=None, help="SMTP server (default: $IPSREPORT_SMTP_HOST).")
@click.option("--smtp-port", type=int, default=None,
              help="Port (default: $IPSREPORT_SMTP_PORT, else 587, 465 for tls, 25 for none).")
@click.option("--smtp-security", type=click.Choice(SECURITIES), default=None,
              help="starttls (default; $IPSREPORT_SMTP_SECURITY), tls (implicit) or none.")
@click.option("--smtp-user", default=None,
              help="User to log in as (default: $IPSREPORT_SMTP_USER); the password is read "
              "from $IPSREPORT_SMTP_PASSWORD only.")
@click.option("--smtp-timeout", type=float, default=DEFAULT_TIMEOUT, show_default=True,
              help="Seconds any network operation may take.")
@click.option("--smtp-ca-file", default=None,
              help="Certificate authorities to trust (default: $IPSREPORT_SMTP_CA_FILE, else "
              "the system's).")
def distribute_command(
    folder: Path,
    recipients: Path,
    sender: str | None,
    outbox: Path | None,
    send: bool,
    attach_docx: bool,
    resend_changed: bool,
    resend_unconfirmed: bool,
    smtp_host: str | None,
    smtp_port: int | None,
    smtp_security: str | None,
    smtp_user: str | None,
    smtp_timeout: float,
    smtp_ca_file: str | None,
) -> None:
    """Email each municipality its documents from FOLDER, a batch folder.

    By default the messages are written as .eml files into the outbox and nothing is
    sent. With --send they are sent over SMTP and recorded in FOLDER/delivery-log.json: a
    rerun never sends a file to a recipient twice and carries on after a failure or Ctrl-C.
    Exit status 0 when every message was written or sent (or had been), 1 when some were
    not, 2 for unusable options or files, 130 when interrupted.
    """
    given = [name for name, value in (("--smtp-host", smtp_host), ("--smtp-port", smtp_port),
                                      ("--smtp-security", smtp_security),
                                      ("--smtp-user", smtp_user),
                                      ("--smtp-ca-file", smtp_ca_file)) if value is not None]
    if not send and given:
        raise SmtpSettingsError(f"{given[0]} without --send: nothing is sent without it")
    if send and outbox is not None:
        raise IpsreportError("--outbox with --send: a message is either written or sent")
    if not send and (resend_changed or resend_unconfirmed):
        flag = "--resend-changed" if resend_changed else "--resend-unconfirmed"
        raise IpsreportError(f"{flag} without --send: only sending consults {LOG_NAME}")
    origin = "--from" if sender is not None else FROM_ENV
    text = sender if sender is not None else os.environ.get(FROM_ENV)
    if not text:
        raise IpsreportError(f"no sender: give --from 'Navn <adresse>' or set {FROM_ENV}")
    settings = None
    if send:
        settings = smtp_settings(host=smtp_host, port=smtp_port, security=smtp_security,
                                 user=smtp_user, timeout=smtp_timeout, ca_file=smtp_ca_file,
                                 environ=os.environ)
    options = Options(folder=folder, recipients=recipients, sender=parse_sender(text, origin),
                      outbox=outbox, smtp=settings, attach_docx=attach_docx,
                      resend_changed=resend_changed, resend_unconfirmed=resend_unconfirmed)
    try:
        result = distribute(options)
    except KeyboardInterrupt:
        click.echo("ipsreport: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    click.echo(f"ipsreport: {result.summary(sending=send)}", err=True)
    if result.interrupted:
        sys.exit(EXIT_INTERRUPTED)
    if result.failed:
        lines = [f"{len(result.failed)} of {len(result.outcomes)} recipients failed:"]
        lines += [f"  line {o.recipient.line}: {o.recipient.label}: {o.detail}"
                  for o in result.failed]
        raise RenderError("\n".join(lines))
