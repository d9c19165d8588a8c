"""Progress of a batch: a bar on a terminal, plain lines in a log.

A bar redrawn with carriage returns is unreadable in a CI log or a file, so
when standard error is not a terminal the same facts (documents, rate, ETA,
failures) come as one line every few seconds.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO

from eur1pdf.bulk.batch import Summary


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class PlainProgress:
    """One line every ``every`` seconds: ``1200/5000 documents (24%), 480/s, ETA 0:00:08, 3 failed``."""

    def __init__(self, total: int, stream: TextIO | None = None, every: float = 5.0):
        self.total = total
        self.stream = stream or sys.stderr
        self.every = every
        self.start = time.monotonic()
        self.last = self.start

    def line(self, summary: Summary) -> str:
        elapsed = max(time.monotonic() - self.start, 1e-9)
        done = summary.done
        rate = (done - summary.skipped) / elapsed
        left = (self.total - done) / rate if rate > 0 else 0.0
        share = f" ({100 * done // self.total}%)" if self.total else ""
        return (
            f"eur1pdf batch: {done}/{self.total} documents{share}, {rate:.0f}/s, "
            f"ETA {_clock(left)}, {summary.failed} failed"
        )

    def __call__(self, summary: Summary) -> None:
        now = time.monotonic()
        if now - self.last >= self.every or summary.done == self.total:
            self.last = now
            print(self.line(summary), file=self.stream, flush=True)

    def close(self) -> None:
        pass


class BarProgress:
    """tqdm's bar: documents, rate, ETA; failures in the postfix."""

    def __init__(self, total: int, stream: TextIO | None = None):
        from tqdm import tqdm

        width = shutil.get_terminal_size((80, 24)).columns  # a pty may say 0 columns: then 80
        self.bar = tqdm(total=total, unit="doc", file=stream or sys.stderr, ncols=width)
        self.done = 0

    def __call__(self, summary: Summary) -> None:
        self.bar.update(summary.done - self.done)
        self.done = summary.done
        if summary.failed:
            self.bar.set_postfix(failed=summary.failed, refresh=False)

    def close(self) -> None:
        self.bar.close()


def progress_for(total: int, stream: TextIO | None = None) -> PlainProgress | BarProgress:
    stream = stream or sys.stderr
    return BarProgress(total, stream) if stream.isatty() else PlainProgress(total, stream)
