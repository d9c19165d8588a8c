"""Reading the files a user points eur1pdf at besides certificates: a layout and its ``base``, a
printer profile, a settings file, a layout's own font.

Each is a name in another file or on a command line, so it can name anything: ``/dev/zero``
(read until memory runs out), a FIFO (open waits for a writer forever), a folder, a 2 GB file.
Only a regular file is read, and never more of it than its kind may take (README,
"Reliability"). The caller turns :class:`FileRefused` into its own error, naming the file and
the field that named it.
"""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

#: The most bytes each kind of file may take: many times the largest eur1pdf knows (the
#: quadrilingual layout 31 kB, a profile or settings file well under 1 kB, DejaVu Sans 0.7 MB).
FILE_LIMITS = {
    "layout": 1_000_000,
    "printer profile": 100_000,
    "settings": 100_000,
    "font": 20_000_000,
    "signing key": 1_000_000,  # a PKCS#12 file with its chain: a few kB
    "trust certificate": 1_000_000,
    "API keys": 1_000_000,
    "PDF to verify": 10_000_000,  # verify's own limit, finish/limits.py (a test keeps them equal)
    "blank form": 30_000_000,  # pdf/blank_limits.toml's max_file_bytes (a test keeps them equal)
}


class FileRefused(Exception):
    """The file is not read: not there, not a regular file, or too large; says which, in words."""


class NotToml(FileRefused):
    """The file was read but is not TOML; ``detail`` says where and why."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"not valid TOML: {detail}")
        self.detail = detail


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _check(mode: int, size: int, kind: str) -> None:
    if not stat.S_ISREG(mode):
        raise FileRefused(f"is {_kind(mode)}, not a {kind} file")
    limit = FILE_LIMITS[kind]
    if size > limit:
        raise FileRefused(f"{size:,} bytes is more than the {limit:,} bytes a {kind} file may take")


def check_small_file(path: Path, kind: str) -> None:
    """Refuse now what :func:`read_small_file` would refuse later, except a file not (yet) there:
    for a file named in another (a settings file's printer profile), so that the error names both."""
    try:
        found = os.stat(path)
    except (OSError, ValueError):
        return  # the reader says what is wrong, when the file is used
    _check(found.st_mode, found.st_size, kind)


def read_small_file(path: Path, kind: str) -> bytes:
    """The bytes of ``path``, a regular file of at most ``FILE_LIMITS[kind]`` bytes.

    Looked at before it is opened (a device is never opened), opened without waiting (a FIFO
    put in its place meanwhile does not block), looked at again once open, and read up to the
    limit and one byte more (a file that grows meanwhile is refused, not read on).
    """
    try:
        before = os.stat(path)
        _check(before.st_mode, before.st_size, kind)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise FileRefused("file not found") from None
    except ValueError:  # a NUL in the name
        raise FileRefused("is not a possible file name") from None
    except OSError as exc:
        raise FileRefused(f"cannot be read ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as fh:
        now = os.fstat(fd)
        _check(now.st_mode, now.st_size, kind)
        data = fh.read(FILE_LIMITS[kind] + 1)
    _check(stat.S_IFREG, len(data), kind)
    return data


def read_small_text(path: Path, kind: str) -> str:
    """:func:`read_small_file` as UTF-8 text (a byte-order mark is harmless)."""
    try:
        return read_small_file(path, kind).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRefused(f"is not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def read_small_toml(path: Path, kind: str) -> dict[str, object]:
    """:func:`read_small_text` parsed as TOML. tomllib converts an integer of any length with
    ``int()``, which refuses more than 4300 digits with a ValueError of its own: that is a
    file's mistake like any other, not an error of eur1pdf."""
    text = read_small_text(path, kind)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise NotToml(str(exc)) from None
    except ValueError:
        raise NotToml("a number is too long (more than 4300 digits)") from None
    except RecursionError:
        raise NotToml("nested too deeply") from None
