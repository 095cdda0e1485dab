"""The cover email to one recipient: Danish text from Jinja2 templates, the files attached.

``templates/distribute-mail.txt.j2`` (plain text) and ``distribute-mail.html.j2`` (HTML,
rendered with autoescape on) give the body, ``distribute-subject.txt.j2`` the subject.
Every value from the batch folder or the recipients file is made one line of text first
(``markup.one_line``), so no name can start a line of its own; the headers are built by
Python's ``email`` package, which encodes them (RFC 2047) and refuses a line break in a
header, so no name can add a header of its own either. The message is the standard's
(``email.policy.SMTP``: CRLF line ends), as an ``.eml`` file and on the wire alike.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from functools import cache
from typing import Any

import jinja2
from babel.numbers import format_decimal

from ipsreport.markup import one_line
from ipsreport.paths import templates_dir

TEXT_TEMPLATE = "distribute-mail.txt.j2"
HTML_TEMPLATE = "distribute-mail.html.j2"
SUBJECT_TEMPLATE = "distribute-subject.txt.j2"
MEDIA_TYPES = {
    "pdf": ("application", "pdf", "PDF"),
    "docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document",
             "Word"),
    "html": ("text", "html", "HTML"),
}


@dataclass(frozen=True)
class Attachment:
    name: str
    format: str
    data: bytes
    sha256: str


@dataclass(frozen=True)
class Cover:
    """What the cover email says, every text one line."""

    title: str
    municipality: str
    kommunekode: str
    group: str | None
    figures: tuple[tuple[str, str], ...]
    recipient_name: str | None
    sender: str


@cache
def _environment(autoescape: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def _size(count: int) -> str:
    """``48,6 kB``: Danish decimals, SI kilobytes."""
    return f"{format_decimal(count / 1000, '#,##0.0', locale='da_DK')} kB"


def render_cover(cover: Cover, attachments: Sequence[Attachment]) -> tuple[str, str, str]:
    """The subject, the text and the HTML of the cover email."""
    values: dict[str, Any] = {
        "title": one_line(cover.title),
        "municipality": one_line(cover.municipality),
        "kommunekode": one_line(cover.kommunekode),
        "group": one_line(cover.group) if cover.group else None,
        "figures": [(one_line(label), one_line(value)) for label, value in cover.figures],
        "recipient_name": one_line(cover.recipient_name) if cover.recipient_name else None,
        "sender": one_line(cover.sender),
        "has_docx": any(item.format == "docx" for item in attachments),
        "attachments": [
            {"name": one_line(item.name), "kind": MEDIA_TYPES[item.format][2],
             "size": _size(len(item.data)), "sha256": item.sha256}
            for item in attachments
        ],
    }
    subject = one_line(_environment(False).get_template(SUBJECT_TEMPLATE).render(values))
    text = _environment(False).get_template(TEXT_TEMPLATE).render(values)
    page = _environment(True).get_template(HTML_TEMPLATE).render(values, subject=subject)
    return subject, text, page


def build_message(
    cover: Cover,
    attachments: Sequence[Attachment],
    *,
    sender: Address,
    recipient: Address,
    when: dt.datetime,
    message_id: str | None = None,
) -> EmailMessage:
    """The email to ``recipient``: the cover in text and HTML, ``attachments`` attached."""
    subject, text, page = render_cover(cover, attachments)
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(when.astimezone(dt.UTC))
    message["Message-ID"] = message_id or make_msgid(
        idstring="ipsreport", domain=sender.domain or None
    )
    message.set_content(text)
    message.add_alternative(page, subtype="html")
    for item in attachments:
        maintype, subtype, _kind = MEDIA_TYPES[item.format]
        message.add_attachment(item.data, maintype=maintype, subtype=subtype,
                               filename=item.name)
    return message


def named_address(name: str | None, address: Address) -> Address:
    """``address`` with a display name of one line (none when ``name`` is empty)."""
    return Address(display_name=one_line(name or ""), username=address.username,
                   domain=address.domain)


def document_title(data: bytes, fallback: str) -> str:
    """A PDF's own title (its metadata), else ``fallback``."""
    import pypdf
    from pypdf.errors import PyPdfError

    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        info: Mapping[str, Any] = pypdf.PdfReader(io.BytesIO(data)).metadata or {}
        title = str(info.get("/Title") or "")
    except (PyPdfError, ValueError, KeyError, TypeError, OSError):
        title = ""
    finally:
        logger.setLevel(level)
    return one_line(title) or fallback
