"""One distribution: every recipient's message written to the outbox, or sent.

For each line of the recipients file, in order: the municipality's documents from the
batch folder (its PDF, and its docx with ``attach_docx``), checked against the batch's
manifest; the cover email (``_message``); then, by default, an ``.eml`` file in the outbox
and nothing sent; with SMTP settings, the message sent and recorded in the delivery log
(``_log``), which decides what a rerun sends. The folder's lock, and the batch's, are held
throughout, so neither a second distribution nor a batch changes the folder meanwhile.

Ctrl-C (or SIGTERM) lets the message in progress finish and be recorded, then stops; a
second Ctrl-C stops at once. The same command again carries on where it stopped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid
from pathlib import Path
from types import FrameType
from typing import TextIO

from filelock import FileLock, Timeout

from ipsreport.batch._run import LOCK_NAME as BATCH_LOCK
from ipsreport.digest import bytes_digest
from ipsreport.distribute._folder import File, Municipality, intact, read_folder, same_key
from ipsreport.distribute._log import REFUSED, SENDING, SENT, DeliveryLog
from ipsreport.distribute._message import (
    Attachment,
    Cover,
    build_message,
    document_title,
    named_address,
)
from ipsreport.distribute._recipients import Recipient, read_recipients
from ipsreport.distribute._smtp import (
    Connection,
    Refused,
    SmtpSettings,
    TransportError,
    Unconfirmed,
)
from ipsreport.errors import IpsreportError
from ipsreport.render._files import atomic_write, os_reason
from ipsreport.render._output import slugify

LOCK = ".distribute.lock"
OUTBOX_NAME = "outbox"
WRITTEN, SENT_STATUS, SKIPPED, FAILED = "written to the outbox", "sent", "skipped", "failed"


class FolderBusyError(IpsreportError):
    """Another distribution or a batch is using the folder (exit status 2)."""


class OutboxError(IpsreportError):
    """The outbox cannot be written (exit status 2)."""


@dataclass(frozen=True)
class Options:
    folder: Path
    recipients: Path
    sender: Address
    outbox: Path | None = None  # default: FOLDER/outbox
    smtp: SmtpSettings | None = None  # None: write the outbox, send nothing
    attach_docx: bool = False
    resend_changed: bool = False
    resend_unconfirmed: bool = False


@dataclass(frozen=True)
class Outcome:
    recipient: Recipient
    status: str
    detail: str = ""
    files: tuple[str, ...] = ()
    message_id: str = ""


@dataclass
class Result:
    outcomes: list[Outcome] = field(default_factory=list)
    interrupted: bool = False
    total: int = 0

    def count(self, *statuses: str) -> int:
        return sum(outcome.status in statuses for outcome in self.outcomes)

    @property
    def failed(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.status == FAILED]

    def summary(self, sending: bool) -> str:
        done = f"{self.count(SENT_STATUS)} sent" if sending else \
            f"{self.count(WRITTEN)} written to the outbox (nothing sent)"
        text = f"{done}, {self.count(SKIPPED)} skipped, {self.count(FAILED)} failed"
        if self.interrupted:
            text += (f"; interrupted with {self.total - len(self.outcomes)} not done "
                     "(run again to resume)")
        return text


class _Stop:
    """Ctrl-C and SIGTERM: the first asks to stop after the message in progress."""

    def __init__(self) -> None:
        self.requested = False

    @contextlib.contextmanager
    def installed(self, on_first: Callable[[], None]) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(_signum: int, _frame: FrameType | None) -> None:
            if self.requested:
                raise KeyboardInterrupt
            self.requested = True
            on_first()

        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)


def _locked(folder: Path) -> contextlib.ExitStack:
    stack = contextlib.ExitStack()
    for name, what in ((LOCK, "another distribution"), (BATCH_LOCK, "a batch")):
        lock = FileLock(str(folder / name))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            stack.close()
            raise FolderBusyError(f"{folder}: {what} is using this folder (lock file "
                                  f"{folder / name}); wait for it to finish") from None
        except OSError as error:
            stack.close()
            raise FolderBusyError(f"{folder}: cannot lock it: {os_reason(error)}") from None
        stack.callback(lock.release)
    return stack


def distribute(options: Options, *, stream: TextIO | None = None,
               now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> Result:
    """Write or send every recipient's message (see the module). Raises an
    :class:`IpsreportError` (exit status 2) before anything is written or sent when the
    folder, the recipients file or the delivery log cannot be used."""
    out = stream or sys.stderr
    municipalities = read_folder(options.folder)
    recipients = read_recipients(options.recipients)
    with _locked(options.folder):
        log = DeliveryLog.read(options.folder)
        run = _Run(options, municipalities, log, out, now)
        return run.all(recipients)


@dataclass
class _Run:
    options: Options
    municipalities: dict[str, Municipality]
    log: DeliveryLog
    out: TextIO
    now: Callable[[], dt.datetime]
    result: Result = field(default_factory=Result)
    outbox_names: set[str] = field(default_factory=set)
    titles: dict[str, str] = field(default_factory=dict)

    def all(self, recipients: Sequence[Recipient]) -> Result:
        self.result.total = len(recipients)
        stop = _Stop()

        def say_stopping() -> None:
            self._line("ipsreport: interrupted: finishing the message in progress "
                       "(Ctrl-C again to stop at once)")

        connection = Connection(self.options.smtp) if self.options.smtp else None
        with stop.installed(say_stopping), contextlib.ExitStack() as stack:
            if connection is not None:
                stack.enter_context(connection)
            broken: str | None = None
            for recipient in recipients:
                if stop.requested:
                    self.result.interrupted = True
                    break
                if broken is not None:
                    self._record(Outcome(recipient, FAILED, broken))
                    continue
                try:
                    self._record(self._one(recipient, connection))
                except TransportError as error:
                    broken = f"not sent: {error}"
                    self._record(Outcome(recipient, FAILED, broken))
        return self.result

    def _record(self, outcome: Outcome) -> None:
        self.result.outcomes.append(outcome)
        done, total = len(self.result.outcomes), self.result.total
        text = f"[{done}/{total}] line {outcome.recipient.line}: {outcome.recipient.label}: " \
               f"{outcome.status}"
        if outcome.detail:
            text += f": {outcome.detail}"
        self._line(text)

    def _line(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    # -- one recipient ----------------------------------------------------------------------

    def _municipality(self, key: str) -> Municipality | None:
        return next((m for k, m in self.municipalities.items() if same_key(k, key)), None)

    def _one(self, recipient: Recipient, connection: Connection | None) -> Outcome:
        if recipient.address is None:
            return Outcome(recipient, FAILED, f"not sent: {recipient.problem}")
        municipality = self._municipality(recipient.kommunekode)
        if municipality is None:
            return Outcome(recipient, FAILED, f"not sent: no document for kommunekode "
                           f"{recipient.kommunekode} in {self.options.folder}")
        formats = ["pdf", "docx"] if self.options.attach_docx else ["pdf"]
        files = []
        for fmt in formats:
            file = municipality.files.get(fmt)
            if file is None:
                hint = " (render the batch with --to pdf,docx)" if fmt == "docx" else ""
                return Outcome(recipient, FAILED, f"not sent: {municipality.label} has no "
                               f"{fmt} in the folder{hint}")
            if not intact(file):
                return Outcome(recipient, FAILED, f"not sent: {file.name} is not the file the "
                               "batch wrote (its SHA-256 differs from the manifest's); run the "
                               "batch again")
            files.append(file)
        address = recipient.address
        if connection is None:
            return self._to_outbox(recipient, municipality, address, files)
        return self._send(recipient, municipality, address, files, connection)

    def _attachments(self, files: Sequence[File]) -> list[Attachment]:
        attachments = []
        for file in files:
            data = file.path.read_bytes()
            attachments.append(Attachment(name=file.name, format=file.format, data=data,
                                          sha256=bytes_digest(data)))
        return attachments

    def _message(self, recipient: Recipient, municipality: Municipality, address: Address,
                 attachments: Sequence[Attachment],
                 message_id: str | None = None) -> EmailMessage:
        pdf = municipality.files["pdf"]
        if pdf.name not in self.titles:
            self.titles[pdf.name] = document_title(pdf.path.read_bytes(), pdf.name)
        cover = Cover(
            title=self.titles[pdf.name],
            municipality=municipality.name,
            kommunekode=municipality.key,
            group=municipality.group,
            figures=municipality.figures,
            recipient_name=recipient.name,
            sender=self.options.sender.display_name or self.options.sender.addr_spec,
        )
        return build_message(cover, attachments, sender=self.options.sender,
                             recipient=named_address(recipient.name, address),
                             when=self.now(), message_id=message_id)

    def _to_outbox(self, recipient: Recipient, municipality: Municipality, address: Address,
                   files: Sequence[File]) -> Outcome:
        attachments = self._attachments(files)
        message = self._message(recipient, municipality, address, attachments)
        folder = self.options.outbox or self.options.folder / OUTBOX_NAME
        stem = files[0].path.stem
        name = f"{stem}--{slugify(address.addr_spec)}.eml"
        if name in self.outbox_names:  # two addresses that slug alike
            digest = bytes_digest(address.addr_spec.encode("utf-8"))[:8]
            name = f"{stem}--{slugify(address.addr_spec)}-{digest}.eml"
        self.outbox_names.add(name)
        try:
            atomic_write(folder / name, message.as_bytes(policy=SMTP))
        except OSError as error:
            raise OutboxError(f"{folder}: cannot write the outbox: {os_reason(error)}") \
                from None
        return Outcome(recipient, WRITTEN, str(folder / name),
                       files=tuple(f.name for f in files),
                       message_id=str(message["Message-ID"]))

    def _plan(self, recipient: Address, files: Sequence[File]) -> tuple[list[File], str, str]:
        """The files to send to ``recipient`` now, why the others are not sent (skipped,
        or failed for an unconfirmed attempt), and the Message-ID of an attempt sent again."""
        send: list[File] = []
        skipped: list[str] = []
        unconfirmed: list[str] = []
        message_id = ""
        for file in files:
            previous = self.log.previous(recipient.addr_spec, file.name)
            if previous is None:
                send.append(file)
            elif previous.status == SENDING:
                if self.options.resend_unconfirmed:
                    send.append(file)
                    message_id = previous.message_id
                else:
                    unconfirmed.append(
                        f"{file.name}: an attempt at {previous.time} was not confirmed (it may "
                        f"have arrived; {previous.message_id}); --resend-unconfirmed sends it "
                        "again under the same Message-ID"
                    )
            elif previous.sha256 != file.sha256:
                if self.options.resend_changed:
                    send.append(file)
                else:
                    skipped.append(f"{file.name} changed since it was sent at {previous.time}; "
                                   "--resend-changed sends the new one")
            else:
                skipped.append(f"{file.name} already sent at {previous.time}")
        if unconfirmed:
            return send, "; ".join(unconfirmed + skipped), message_id
        return send, "; ".join(skipped), message_id

    def _send(self, recipient: Recipient, municipality: Municipality, address: Address,
              files: Sequence[File], connection: Connection) -> Outcome:
        send, why_not, message_id = self._plan(address, files)
        unconfirmed = "not confirmed" in why_not
        if not send:
            return Outcome(recipient, FAILED if unconfirmed else SKIPPED, why_not)
        attachments = self._attachments(send)
        message_id = message_id or make_msgid(idstring="ipsreport",
                                              domain=self.options.sender.domain or None)
        message = self._message(recipient, municipality, address, attachments, message_id)
        entry = self.log.begin(kommunekode=municipality.key, recipient=address.addr_spec,
                               files=[(a.name, a.sha256) for a in attachments],
                               message_id=message_id, when=self.now())
        names = tuple(a.name for a in attachments)
        try:
            reply = connection.send(message, self.options.sender.addr_spec, address.addr_spec)
        except Refused as refused:
            self.log.finish(entry, REFUSED, refused.reply, self.now())
            return Outcome(recipient, FAILED, f"refused by the server: {refused.reply}",
                           files=names, message_id=message_id)
        except Unconfirmed as error:
            return Outcome(recipient, FAILED, f"unconfirmed: {error} ({message_id})",
                           files=names, message_id=message_id)
        except TransportError:
            self.log.finish(entry, REFUSED, "no connection", self.now())
            raise
        self.log.finish(entry, SENT, reply, self.now())
        detail = ", ".join(names) + (f" ({why_not})" if why_not else "")
        status = FAILED if unconfirmed else SENT_STATUS
        return Outcome(recipient, status, detail, files=names, message_id=message_id)
