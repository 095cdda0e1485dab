"""The recipients file: one line per address, ``kommunekode,email`` and an optional name.

A CSV with a header line naming the columns ``kommunekode`` and ``email`` (``navn`` or
``name``, the recipient's name, is optional; other columns are ignored). A municipality may
have several lines, one per address. An address is taken only when it is exactly one plain
address (``postkasse@odense.dk``): a missing one, one with a display name or a comment, two
in one cell, one with spaces or control characters, or a domain without a dot, is reported
and skipped, never guessed at or repaired. A file that cannot be used at all (missing, not
UTF-8, no such columns) is an error before anything is sent.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address
from pathlib import Path

from ipsreport.errors import IpsreportError, shown
from ipsreport.markup import one_line

KEY_COLUMN = "kommunekode"
EMAIL_COLUMN = "email"
NAME_COLUMNS = ("navn", "name")
# The characters an address may hold here: printable ASCII (checked after), no space, no
# control character, no character that makes a list or a display name of it.
_PLAIN_ADDRESS = re.compile(r"^[^\s@<>(),;:\"\[\]\\]+@[^\s@<>(),;:\"\[\]\\]+$")
_DOMAIN = re.compile(r"^(?!-)[^.\s]+(?:\.[^.\s]+)+$")
MAX_ADDRESS = 254


class RecipientsError(IpsreportError):
    """The recipients file cannot be used at all (exit status 2)."""


@dataclass(frozen=True)
class Recipient:
    """One line of the file: where it is, its municipality, and its address or why not."""

    line: int
    kommunekode: str
    email: str  # as written in the file, one line
    name: str | None = None
    address: Address | None = None  # None when the address cannot be used
    problem: str = ""

    @property
    def label(self) -> str:
        return f"{self.kommunekode} <{self.email}>" if self.email else self.kommunekode


def parse_address(text: str) -> tuple[Address | None, str]:
    """``text`` as a single plain address, or None and why not."""
    value = text.strip()
    if not value:
        return None, "no address"
    if len(value) > MAX_ADDRESS:
        return None, f"an address of {len(value)} characters (at most {MAX_ADDRESS})"
    if not _PLAIN_ADDRESS.match(value):
        return None, f"not one plain address: {shown(value)}"
    if not value.isascii():
        return None, (f"letters outside ASCII in {shown(value)}: write the domain as its "
                      "xn-- form and check the mailbox's name")
    local, _, domain = value.rpartition("@")
    if not _DOMAIN.match(domain) or ".." in local or local.startswith(".") \
            or local.endswith("."):
        return None, f"not a valid address: {shown(value)}"
    try:
        address = Address(addr_spec=value)
    except (ValueError, IndexError, HeaderParseError):
        return None, f"not a valid address: {shown(value)}"
    if address.addr_spec != value:
        return None, f"not a plain address: {shown(value)}"
    return address, ""


def _recipient(line: int, key_cell: str, email_cell: str, name_cell: str,
               seen: set[tuple[str, str]]) -> Recipient:
    """One line's recipient; ``seen`` holds the (key, address) pairs of earlier lines."""
    key = one_line(key_cell)
    address, problem = parse_address(email_cell)
    if not key:
        address, problem = None, f"no {KEY_COLUMN}"
    elif address is not None:
        pair = (key, address.addr_spec.lower())
        if pair in seen:
            problem = f"{address.addr_spec} is listed for {key} already"
            address = None
        seen.add(pair)
    return Recipient(line=line, kommunekode=key, email=one_line(email_cell),
                     name=one_line(name_cell) or None, address=address, problem=problem)


def read_recipients(path: Path) -> list[Recipient]:
    """Every line of the recipients file (blank lines aside), each with its address or the
    reason it has none. Raises :class:`RecipientsError` when the file cannot be used."""
    where = shown(str(path), 200, quote=False)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RecipientsError(f"--recipients {where}: no such file") from None
    except UnicodeDecodeError as error:
        raise RecipientsError(f"--recipients {where}: not UTF-8 text (byte {error.start})") \
            from None
    except OSError as error:
        raise RecipientsError(f"--recipients {where}: cannot read it: {error.strerror}") \
            from None
    reader = csv.reader(text.splitlines(keepends=True))
    records: list[tuple[int, list[str]]] = []
    try:
        end = 0
        for record in reader:  # a record starts on the line after the previous one ended
            records.append((end + 1, record))
            end = reader.line_num
    except csv.Error as error:
        raise RecipientsError(f"--recipients {where}: not a CSV file: {error}") from None
    if not records:
        raise RecipientsError(f"--recipients {where}: empty (expected a header line "
                              f"{KEY_COLUMN},{EMAIL_COLUMN})")
    header = [cell.strip().lower() for cell in records[0][1]]
    missing = [column for column in (KEY_COLUMN, EMAIL_COLUMN) if column not in header]
    if missing:
        raise RecipientsError(
            f"--recipients {where}: line 1: no column {' or '.join(missing)} (columns: "
            f"{shown(', '.join(header), 120, quote=False)}; expected {KEY_COLUMN},{EMAIL_COLUMN}"
            f"[,navn])"
        )
    key_index, email_index = header.index(KEY_COLUMN), header.index(EMAIL_COLUMN)
    name_index = next((header.index(c) for c in NAME_COLUMNS if c in header), None)
    recipients: list[Recipient] = []
    seen: set[tuple[str, str]] = set()
    for line, record in records[1:]:
        if not any(cell.strip() for cell in record):
            continue
        cells = [*record, *[""] * len(header)]
        recipient = _recipient(line, cells[key_index], cells[email_index],
                               cells[name_index] if name_index is not None else "", seen)
        recipients.append(recipient)
    if not recipients:
        raise RecipientsError(f"--recipients {where}: a header but no recipients")
    return recipients
