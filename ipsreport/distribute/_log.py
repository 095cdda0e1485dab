"""The delivery log of a batch folder: what was sent to whom, kept across runs.

``FOLDER/delivery-log.json`` holds ``{"deliveries": [entry, ...]}``, one entry per message,
in the order they were sent. An entry names the municipality (``kommunekode``), the
``recipient`` address, the ``files`` it carried (each ``name`` and ``sha256``), the
``message_id``, the ``time`` (UTC, ISO 8601), the server's ``reply`` and a ``status``:

- ``sending``: written just before the message goes to the server. A run that is killed
  while the server has the message leaves it so: whether it arrived is not known.
- ``sent``: the server accepted it (its reply was 2xx).
- ``refused``: the server refused it (4xx or 5xx); nothing was delivered.

Each change is written at once and atomically (``render._files``), so the log is always a
whole file that says what happened up to that moment. A file counts as delivered to a
recipient when a ``sent`` entry lists it with the same SHA-256; a rerun never attaches it
again. A file that changed since it was sent is sent again only when asked
(``--resend-changed``), and one whose message is ``sending`` (unconfirmed) only with
``--resend-unconfirmed`` (under the same Message-ID, so a duplicate can be recognised).
A log that cannot be read stops the run: sending everything again is never the fallback.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ipsreport.errors import IpsreportError, shown
from ipsreport.render._files import atomic_write

LOG_NAME = "delivery-log.json"
SENDING, SENT, REFUSED = "sending", "sent", "refused"


class LogError(IpsreportError):
    """The delivery log cannot be read (exit status 2)."""


def recipient_key(address: str) -> str:
    """An address as the log compares it: the domain in lower case, the mailbox as given."""
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


def utc_text(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Previous:
    """What the log says of one file for one recipient."""

    status: str  # SENT or SENDING
    sha256: str
    time: str
    message_id: str


@dataclass
class DeliveryLog:
    path: Path
    entries: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def read(cls, folder: Path) -> DeliveryLog:
        path = folder / LOG_NAME
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path)
        except (OSError, UnicodeDecodeError) as error:
            raise LogError(f"{path}: cannot read the delivery log: {error}") from None
        try:
            loaded = json.loads(text)
            entries = loaded["deliveries"]
            if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
                raise TypeError("deliveries is not a list of entries")
        except (ValueError, KeyError, TypeError) as error:
            raise LogError(
                f"{path}: the delivery log is damaged ({shown(str(error), 100, quote=False)}); "
                "nothing was sent: repair it or move it away, knowing that every document "
                "in it would then be sent again"
            ) from None
        return cls(path, entries)

    def previous(self, recipient: str, file: str) -> Previous | None:
        """The last time ``file`` went, or was going, to ``recipient`` (refusals aside)."""
        key = recipient_key(recipient)
        found: Previous | None = None
        for entry in self.entries:
            if entry.get("status") not in (SENT, SENDING):
                continue
            if recipient_key(str(entry.get("recipient", ""))) != key:
                continue
            for item in entry.get("files") or []:
                if isinstance(item, Mapping) and item.get("name") == file:
                    found = Previous(status=str(entry["status"]), sha256=str(item.get("sha256")),
                                     time=str(entry.get("time", "")),
                                     message_id=str(entry.get("message_id", "")))
        return found

    def begin(self, *, kommunekode: str, recipient: str, files: Sequence[tuple[str, str]],
              message_id: str, when: dt.datetime) -> dict[str, Any]:
        """Record that a message is about to be sent (status ``sending``); return its entry."""
        entry: dict[str, Any] = {
            "status": SENDING,
            "kommunekode": kommunekode,
            "recipient": recipient,
            "files": [{"name": name, "sha256": sha256} for name, sha256 in files],
            "message_id": message_id,
            "time": utc_text(when),
            "reply": "",
        }
        # An unconfirmed attempt at the same message (sent again) is replaced, not repeated.
        self.entries = [
            other for other in self.entries
            if not (other.get("status") == SENDING and other.get("message_id") == message_id)
        ]
        self.entries.append(entry)
        self.save()
        return entry

    def finish(self, entry: dict[str, Any], status: str, reply: str,
               when: dt.datetime) -> None:
        """Record what the server said of the message (``sent`` or ``refused``)."""
        entry["status"] = status
        entry["reply"] = reply
        entry["time"] = utc_text(when)
        self.save()

    def save(self) -> None:
        text = json.dumps({"deliveries": self.entries}, indent=2, ensure_ascii=False)
        atomic_write(self.path, (text + "\n").encode("utf-8"))
