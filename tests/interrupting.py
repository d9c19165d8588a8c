"""Ctrl-C in the middle of a batch, as a user gives it: shared by the local and the Dask batch tests."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from eur1pdf.bulk.manifest import read_manifest


def interrupt_once_written(
    command: list[str], manifest: Path, written: int = 20, signum: int = signal.SIGINT
) -> tuple[int, bytes]:
    """Start the batch ``command``, send ``signum`` (Ctrl-C's SIGINT) once ``manifest`` records
    ``written`` finished records (not "writing" lines), and return its exit code and standard error."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if (
            manifest.exists()
            and sum(e.status != "writing" for e in read_manifest(manifest).values()) >= written
        ):
            break
        time.sleep(0.005)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


def _finished(manifest: Path) -> int:
    return sum(entry.status != "writing" for entry in read_manifest(manifest).values())
