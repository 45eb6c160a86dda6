"""Unpacking a zip that a stranger sent, without letting it write outside its folder or fill
the disk. Pure Python, no Django: ``POST /api/models/`` calls it with the settings' limits.

What is refused, each with one sentence a person can act on (``UnsafeZip``):

* not a zip, a corrupt or encrypted one, an empty one (no file in it);
* more entries than ``Limits.max_entries``;
* a name that is absolute (``/x``, ``C:x``, ``\\x``), holds a ``..`` component, a backslash or
  a NUL, or names twice the same file (also ``a`` as a file and ``a/b`` beneath it);
* an entry that is not a plain file or folder: a symlink (its Unix mode in the entry's external
  attributes), a device, a FIFO;
* more than ``Limits.max_bytes`` once unpacked: first by the sizes the headers declare, then by
  counting the bytes actually written, since a hostile archive's headers can lie (a zip bomb
  stops at the limit, it is never written out whole).

``extract`` creates its destination and removes it again on any refusal: nothing is kept.
"""

from __future__ import annotations

import re
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

#: Bytes copied per read while unpacking: the limits are checked this often.
CHUNK = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


class UnsafeZip(Exception):
    """The archive was refused; ``str(exc)`` says why. Nothing of it was kept."""


@dataclass(frozen=True)
class Limits:
    #: Entries (files and folders) in the archive.
    max_entries: int
    #: Bytes of all files once unpacked.
    max_bytes: int


def _safe_parts(name: str) -> tuple[str, ...]:
    """The path components of an entry name, or UnsafeZip when it points outside the folder."""
    if "\x00" in name:
        raise UnsafeZip(f"The zip holds an entry whose name contains a NUL character: {name!r}.")
    if "\\" in name:
        raise UnsafeZip(f"The zip holds an entry with a backslash in its name: {name!r}.")
    if name.startswith("/") or _DRIVE.match(name):
        raise UnsafeZip(f"The zip holds an entry with an absolute path: {name!r}.")
    parts = tuple(part for part in PurePosixPath(name).parts if part not in ("", "."))
    if ".." in parts:
        raise UnsafeZip(f"The zip holds an entry that points outside its folder: {name!r}.")
    if not parts:
        raise UnsafeZip(f"The zip holds an entry without a name: {name!r}.")
    return parts


def _kind(info: zipfile.ZipInfo) -> str:
    """``"file"`` or ``"dir"``; UnsafeZip for a symlink or any other special file."""
    mode = info.external_attr >> 16
    file_type = stat.S_IFMT(mode)
    if file_type == stat.S_IFLNK:
        raise UnsafeZip(f"The zip holds a symbolic link, which is not accepted: {info.filename!r}.")
    if file_type not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise UnsafeZip(f"The zip holds a special file, which is not accepted: {info.filename!r}.")
    if info.flag_bits & 0x1:
        raise UnsafeZip(f"The zip holds an encrypted entry: {info.filename!r}.")
    return "dir" if info.is_dir() or file_type == stat.S_IFDIR else "file"


def check(archive: zipfile.ZipFile, limits: Limits) -> list[tuple[zipfile.ZipInfo, str, tuple]]:
    """Every entry with its kind and safe path components, after the checks that need only the
    central directory (module docstring); raises UnsafeZip at the first problem."""
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise UnsafeZip(
            f"The zip holds {len(infos)} entries; at most {limits.max_entries} are accepted."
        )
    entries: list[tuple[zipfile.ZipInfo, str, tuple]] = []
    files: set[tuple[str, ...]] = set()
    dirs: set[tuple[str, ...]] = set()
    declared = 0
    for info in infos:
        parts = _safe_parts(info.filename)
        kind = _kind(info)
        if kind == "file":
            if parts in files or parts in dirs:
                raise UnsafeZip(f"The zip holds {'/'.join(parts)!r} twice.")
            files.add(parts)
            declared += info.file_size
            if declared > limits.max_bytes:
                raise UnsafeZip(
                    f"The zip would unpack to more than {limits.max_bytes} bytes "
                    "(the limit for an uploaded model)."
                )
        else:
            if parts in files:
                raise UnsafeZip(f"The zip holds {'/'.join(parts)!r} twice.")
            dirs.add(parts)
        entries.append((info, kind, parts))
    for parts in files:
        for depth in range(1, len(parts)):
            if parts[:depth] in files:
                raise UnsafeZip(
                    f"The zip holds {'/'.join(parts[:depth])!r} both as a file and as a folder."
                )
    if not files:
        raise UnsafeZip("The zip is empty: it holds no file.")
    return entries


def extract(source: BinaryIO | Path, destination: Path, limits: Limits) -> list[str]:
    """Unpack ``source`` into ``destination`` (created here; it must not exist), every check of
    the module docstring applied; the unpacked files' paths, relative, ``/``-separated.

    On any refusal ``destination`` is removed again and UnsafeZip says why.
    """
    destination.mkdir(parents=True, exist_ok=False)
    try:
        return _extract(source, destination, limits)
    except BaseException:
        shutil.rmtree(destination, ignore_errors=True)
        raise


def _extract(source: BinaryIO | Path, destination: Path, limits: Limits) -> list[str]:
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile:
        if _starts_like_a_zip(source):
            raise UnsafeZip(
                "The zip archive is corrupt: its central directory is unreadable."
            ) from None
        raise UnsafeZip("The file is not a zip archive.") from None
    except (OSError, EOFError, ValueError) as exc:
        raise UnsafeZip(f"The zip archive is corrupt ({exc}).") from None
    root = destination.resolve()
    written = 0
    names: list[str] = []
    with archive:
        for info, kind, parts in check(archive, limits):
            target = root.joinpath(*parts)
            # Belt and braces: _safe_parts already refused every name that could leave the root.
            if root not in target.parents:
                raise UnsafeZip(f"The zip holds an entry that points outside its folder: {parts}.")
            try:
                if kind == "dir":
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise UnsafeZip(
                    f"The zip holds an entry that cannot be unpacked: {info.filename!r} "
                    f"({exc.strerror or exc})."
                ) from None
            entry_bytes = 0
            try:
                with archive.open(info) as packed, target.open("xb") as out:
                    while chunk := packed.read(CHUNK):
                        entry_bytes += len(chunk)
                        written += len(chunk)
                        # The headers may lie: count what really comes out of the stream.
                        if entry_bytes > info.file_size or written > limits.max_bytes:
                            raise UnsafeZip(
                                f"The zip unpacks to more than its headers declare or than "
                                f"{limits.max_bytes} bytes (a zip bomb?): {info.filename!r}."
                            )
                        out.write(chunk)
            except UnsafeZip:
                raise
            except FileExistsError:
                raise UnsafeZip(f"The zip holds {'/'.join(parts)!r} twice.") from None
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
                raise UnsafeZip(f"The zip archive is corrupt ({exc}).") from None
            except RuntimeError as exc:  # zipfile's answer to an encrypted entry
                raise UnsafeZip(f"The zip archive cannot be read ({exc}).") from None
            except OSError as exc:  # a name this file system refuses (too long, ...)
                raise UnsafeZip(
                    f"The zip holds an entry that cannot be unpacked: {info.filename!r} "
                    f"({exc.strerror or exc})."
                ) from None
            names.append("/".join(parts))
    return names


def _starts_like_a_zip(source: BinaryIO | Path) -> bool:
    """Whether the file begins with a zip signature (a truncated or damaged archive)."""
    if isinstance(source, Path):
        with source.open("rb") as stream:
            head = stream.read(4)
    else:
        source.seek(0)
        head = source.read(4)
    return head in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
