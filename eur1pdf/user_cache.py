"""A cache on disk of what eur1pdf makes from its own files and would otherwise make in every process.

A back-office that runs ``eur1pdf fill`` once per certificate starts a new
process each time; reading the fonts' tables and cutting the subset fonts
with fontTools cost far more than placing the certificate. Those results
depend on the font files alone (and on fontTools), never on a certificate,
so they are kept here and the next process reads them back in microseconds.

Safe by construction:

* Each entry is one file written to a temporary name and moved into place
  with ``os.replace``: a reader sees a whole entry or none, and processes
  writing the same entry at once each move a whole file (the last one wins;
  both hold the same bytes).
* An entry holds its own key and the SHA-256 of its payload; anything that
  does not match (a truncated or corrupt file, another version's entry) is
  ignored, made again and written over.
* Only :mod:`marshal` data (numbers, strings, bytes, tuples, dicts) is
  stored: loading an entry never runs code. (A built-in layout is kept
  prepared as pickle bytes, read back by an unpickler that makes nothing but
  the layout schema's and the prepared layout's classes:
  :mod:`eur1pdf.layouts.cached`.) An entry's name is the SHA-256 of its key
  marshalled in version 0, the same bytes in every process.
* Any error writing (a read-only home, a full disk) is ignored: the cache
  only ever saves time, it never changes what is made.
* Only a folder of the user's own, that no other user may write to, is used
  (it is made so, mode 0700): the checksum tells a damaged entry, not a
  planted one, and an entry becomes the fonts embedded in every certificate.
  ``EUR1PDF_CACHE_DIR=/tmp/shared`` made by someone else is no cache at all.

Where: ``$EUR1PDF_CACHE_DIR``, else ``$XDG_CACHE_HOME/eur1pdf``, else
``~/.cache/eur1pdf``. ``EUR1PDF_CACHE_DIR=off`` turns the cache off.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from eur1pdf import __version__

CACHE_ENV = "EUR1PDF_CACHE_DIR"
_MAGIC = b"eur1pdf cache 1\n"
_OFF = ("", "off", "0", "no", "false")


def cache_dir() -> Path | None:
    """The cache folder, or None when the cache is off."""
    folder = _folder()
    return None if folder is None else Path(folder)


def _folder() -> str | None:
    """:func:`cache_dir` as a plain string (os.path: every entry read joins it, pathlib costs more)."""
    value = os.environ.get(CACHE_ENV)
    if value is not None:
        return None if value.strip().lower() in _OFF else value
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        home = os.path.expanduser("~")
        if home == "~":  # no home folder known: no cache (never a folder named "~" where we stand)
            return None
        base = os.path.join(home, ".cache")
    return os.path.join(base, "eur1pdf")


def _trusted(folder: str | Path) -> bool:
    """The folder is a real folder of this user's, that nobody else may write to."""
    try:
        found = os.lstat(folder)
    except OSError:
        return False
    mine = not hasattr(os, "getuid") or found.st_uid == os.getuid()
    return stat.S_ISDIR(found.st_mode) and mine and not found.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _entry(kind: str, key: tuple[Any, ...]) -> tuple[str, bytes] | None:
    folder = _folder()
    if folder is None:
        return None
    # version 0: the same key is the same bytes in every process (later versions mark objects seen
    # twice and interned strings, which depends on what else the process holds: another entry name)
    marshalled = marshal.dumps((__version__, kind, key), 0)
    return os.path.join(folder, f"{kind}-{hashlib.sha256(marshalled).hexdigest()[:40]}"), marshalled


def load(kind: str, key: tuple[Any, ...]) -> Any | None:
    """The value stored for ``key``, or None (no entry, cache off, or an entry that does not check)."""
    entry = _entry(kind, key)
    if entry is None:
        return None
    path, marshalled = entry
    if not _trusted(os.path.dirname(path)):
        return None
    data = _read(path)
    head = len(_MAGIC) + 32
    if data is None or not data.startswith(_MAGIC):
        return None
    payload = memoryview(data)[head:]
    if hashlib.sha256(payload).digest() != data[len(_MAGIC) : head]:
        return None
    try:
        stored_key, value = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None
    return value if stored_key == marshalled else None


def _read(path: str) -> bytes | None:
    """The whole file (os-level: no buffered file object for a read of one piece), or None."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        size = os.fstat(descriptor).st_size
        chunks = [os.read(descriptor, size + 1)]
        while chunks[-1] and sum(map(len, chunks)) <= size:  # a file that grew while read: read on
            chunks.append(os.read(descriptor, 1 << 16))
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(descriptor)


def store(kind: str, key: tuple[Any, ...], value: Any) -> None:
    """Keep ``value`` (marshal data) for ``key``: written whole or not at all, errors ignored."""
    entry = _entry(kind, key)
    if entry is None:
        return
    path, marshalled = entry
    payload = marshal.dumps((marshalled, value))
    temporary = None
    folder = os.path.dirname(path)
    try:
        Path(folder).mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _trusted(folder):
            return
        descriptor, temporary = tempfile.mkstemp(prefix=".tmp-", dir=folder)
        with os.fdopen(descriptor, "wb") as out:
            out.write(_MAGIC + hashlib.sha256(payload).digest() + payload)
        os.replace(temporary, path)
        temporary = None
    except OSError:
        pass  # the cache saves time only: without it the same bytes are made again
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def file_key(path: Path) -> tuple[str, int, int]:
    """What identifies a file's content for the cache: its path, size and modification time
    (as Python's own ``.pyc`` files do); a changed font file is read again."""
    stat = os.stat(path)
    return os.path.abspath(path), stat.st_size, stat.st_mtime_ns  # not realpath: a stat per file, no more


load_cached, store_cached = load, store  # the names a module importing them alone reads best with
