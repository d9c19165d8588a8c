"""Writing files atomically: a reader never sees half a PDF.

The bytes go to a temporary file in the target folder, are flushed to disk,
and then renamed over the target in one step; on any failure the temporary
file is removed and an existing target is left as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from eur1pdf.errors import OutputError


def check_output_dir(path: Path) -> None:
    """Fail before any work when the output cannot be written there."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{path}: the folder {folder} does not exist")
    if path.is_dir():
        raise OutputError(f"{path}: is a folder, not a file name")
    # Permissions bits do not tell (root, read-only mounts, ACLs, /proc): try it.
    try:
        fd, probe = tempfile.mkstemp(prefix=".eur1pdf-probe-", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"{path}: the folder {folder} is not writable ({exc.strerror})") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_output(
    path: str | Path, *, durable: bool = True, mode: int | None = None, text: bool = False
) -> Iterator[IO[Any]]:
    """A file to write ``path`` through: a temporary file in the same folder, renamed over
    ``path`` when the block ends without an error, removed when it does not.

    ``mode`` None gives the usual mode (0666 less the umask); a backup passes 0o600.
    ``durable=False`` skips the flush to disk (see :func:`write_atomic`).
    """
    path = Path(path)
    check_output_dir(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w" if text else "wb", encoding="utf-8" if text else None) as fh:
            yield fh
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, mode if mode is not None else 0o666 & ~current_umask())  # mkstemp makes 0600
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_atomic(path: str | Path, data: bytes, durable: bool = True) -> Path:
    """Write ``data`` to ``path`` in one step.

    ``durable=False`` skips the flush to disk: still never half a file for a
    reader or after Ctrl-C, but after a power cut the file may be empty. A
    batch uses it (and syncs its folder once at the end): a flush per file
    would cost more than rendering, and ``--resume`` checks every file's hash.
    """
    with atomic_output(path, durable=durable) as fh:
        fh.write(data)
    return Path(path)
