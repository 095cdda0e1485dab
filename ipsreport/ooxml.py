"""Word documents as zip packages: their members read, and written back reproducibly.

A ``.docx`` is a zip of XML parts. Pandoc writes the zip with the time of the run in every
member's header, and another tool may order or compress the members its own way, so the
same document can come as different bytes. :func:`write` gives one set of members one set
of bytes: ``[Content_Types].xml`` first (as Word writes it) and the rest in name order,
every member dated 1980-01-01 00:00 (the zip format's first day) with the same
attributes, deflated at one level. :func:`content` is what a document says, independent of
how it is zipped: the members' names and uncompressed bytes, in that same order.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterable

CONTENT_TYPES = "[Content_Types].xml"
_EPOCH = (1980, 1, 1, 0, 0, 0)
_LEVEL = 9
# A package's members, and a member, at most this large: enough for any brief, and a
# zip bomb stops here.
MAX_BYTES = 200 * 1024 * 1024


class PackageError(ValueError):
    """Not a zip package this module can read."""


def is_package(data: bytes) -> bool:
    """Whether ``data`` starts like a zip file (a docx, say)."""
    return data[:4] == b"PK\x03\x04"


def _order(name: str) -> tuple[int, str]:
    return (0 if name == CONTENT_TYPES else 1, name)


def members(data: bytes) -> list[tuple[str, bytes]]:
    """Every file in the package ``data``, as (name, uncompressed bytes), in canonical order.

    Raises :class:`PackageError` for something that is not a readable zip, has a member
    twice, or would unpack to more than :data:`MAX_BYTES`.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = [info for info in archive.infolist() if not info.is_dir()]
            names = [info.filename for info in infos]
            if len(set(names)) != len(names):
                raise PackageError("a member appears twice")
            if sum(info.file_size for info in infos) > MAX_BYTES:
                raise PackageError("too large")
            found = [(info.filename, archive.read(info)) for info in infos]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, KeyError,
            NotImplementedError, RuntimeError, struct.error, ValueError) as error:
        if isinstance(error, PackageError):
            raise
        raise PackageError(f"not a readable zip: {error}") from None
    return sorted(found, key=lambda item: _order(item[0]))


def write(parts: Iterable[tuple[str, bytes]]) -> bytes:
    """A zip of ``parts`` (name, bytes) in canonical order, the same bytes every time."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in sorted(parts, key=lambda item: _order(item[0])):
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED,
                             compresslevel=_LEVEL)
    return buffer.getvalue()


def normalised(data: bytes) -> bytes:
    """The package ``data`` rewritten by :func:`write`."""
    return write(members(data))


def content(parts: Iterable[tuple[str, bytes]]) -> bytes:
    """What a package says, independent of its zip: each member's name and bytes in
    canonical order, each prefixed with its length (so no two packages give the same)."""
    out = io.BytesIO()
    for name, data in sorted(parts, key=lambda item: _order(item[0])):
        encoded = name.encode("utf-8")
        out.write(struct.pack(">Q", len(encoded)) + encoded)
        out.write(struct.pack(">Q", len(data)) + data)
    return out.getvalue()
