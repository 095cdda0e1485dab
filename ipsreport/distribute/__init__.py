"""Sending a batch folder's documents to the municipalities.

``ipsreport distribute FOLDER --recipients FILE.csv`` writes one Danish cover email per
recipient, with the municipality's PDF (and docx) attached, into an outbox as ``.eml``
files; with ``--send`` it sends them over SMTP and records each in the folder's delivery
log, so that a rerun sends only what has not been sent. From Python::

    result = distribute(Options(folder=Path("_output/batch/guide"),
                                recipients=Path("modtagere.csv"),
                                sender=Address("STAR", "ips", "star.dk")))
    result.failed      # the recipients whose message could not be written or sent
"""

from __future__ import annotations

from ipsreport.distribute._folder import FolderError, read_folder
from ipsreport.distribute._log import LOG_NAME, DeliveryLog, LogError
from ipsreport.distribute._message import build_message, render_cover
from ipsreport.distribute._recipients import RecipientsError, parse_address, read_recipients
from ipsreport.distribute._run import (
    FAILED,
    OUTBOX_NAME,
    SENT_STATUS,
    SKIPPED,
    WRITTEN,
    FolderBusyError,
    Options,
    Outcome,
    Result,
    distribute,
)
from ipsreport.distribute._smtp import SmtpSettings, SmtpSettingsError, smtp_settings

__all__ = [
    "FAILED",
    "LOG_NAME",
    "OUTBOX_NAME",
    "SENT_STATUS",
    "SKIPPED",
    "WRITTEN",
    "DeliveryLog",
    "FolderBusyError",
    "FolderError",
    "LogError",
    "Options",
    "Outcome",
    "RecipientsError",
    "Result",
    "SmtpSettings",
    "SmtpSettingsError",
    "build_message",
    "distribute",
    "parse_address",
    "read_folder",
    "read_recipients",
    "render_cover",
    "smtp_settings",
]
