"""A test hook: the batch kills itself (SIGKILL) at a named moment, to prove ``--resume`` after it.

``EUR1PDF_TEST_CRASH=POINT@N`` makes the Nth arrival at ``POINT`` kill the
process outright, as ``kill -9`` or a power cut would: no ``finally``, no
flush, no clean-up. Unset (always, outside tests) it costs one comparison.
The points, in the order a record passes them (:mod:`.render_many`, :mod:`.store`,
:mod:`.manifest`):

- ``render-K``: the Kth record given to ``render_many`` is about to be rendered
  (in a worker: the worker dies; ``@1`` kills every worker that tries it);
- ``store``: a record's PDF is in its temporary file, nothing else done;
- ``line-writing``, ``line-ok``, ``line-failed``: half of that manifest line is
  written (a torn last line);
- ``renaming``: the ``writing`` line is written, the file not yet renamed;
- ``renamed``: the file is in place, its ``ok`` line not yet written;
- ``stored``: the record's ``ok`` line is written;
- ``compacting``: the manifest in record order is in its temporary file, not renamed.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

ENV = "EUR1PDF_TEST_CRASH"


def _target() -> tuple[str, int] | None:
    value = os.environ.get(ENV, "")
    if not value:
        return None
    point, _, count = value.partition("@")
    return (point, int(count)) if count.isdigit() else (point, 1)


_TARGET = _target()
_seen: dict[str, int] = {}


def crash_point(point: str, before: Callable[[], object] | None = None) -> None:
    """Kill this process here if the test hook names ``point`` and this is its Nth arrival.

    ``before`` runs first (to write half a line, say).
    """
    if _TARGET is None or _TARGET[0] != point:
        return
    _seen[point] = _seen.get(point, 0) + 1
    if _seen[point] == _TARGET[1]:
        if before is not None:
            before()
        os.kill(os.getpid(), signal.SIGKILL)
