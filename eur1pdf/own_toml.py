"""eur1pdf's own TOML data files (the agreement table, the member states), parsed once and kept.

Parsing a TOML file in pure Python costs a new process more than checking a
certificate against it; the result depends on the file alone. So the parsed
table is kept in :mod:`eur1pdf.user_cache`, keyed by the file's identity
(path, size, time): a changed file is parsed again. The cache holds marshal
data only, so a TOML date is kept as the tuple ``("date", "YYYY-MM-DD")``
(TOML has no tuples: nothing else is one); a file holding a date-time or a
time is simply parsed every time. A table without dates is kept as
``("plain", table)``, read back as it is (no walk through every value).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

from eur1pdf import user_cache

_KIND = "toml"
_PLAIN = "plain"  # an entry ("plain", table): a table without dates, kept exactly as parsed


class _NotKept(Exception):
    """A value the cache does not keep (a TOML date-time or time)."""


def cache_key(path: Path) -> tuple[Any, ...]:
    """The file's identity and this module's (a new reader: read again)."""
    return (*user_cache.file_key(path), *user_cache.file_key(Path(__file__)))


def read_own_toml(path: Path) -> dict[str, Any]:
    """The parsed TOML file ``path`` (one of eur1pdf's own files), from the cache when it is there."""
    key = cache_key(path)
    found = user_cache.load(_KIND, key)
    if isinstance(found, tuple) and len(found) == 2 and found[0] == _PLAIN and isinstance(found[1], dict):
        return found[1]  # kept as parsed (no date in it): nothing to walk
    if isinstance(found, dict):
        try:
            return _decoded(found)
        except (TypeError, ValueError):  # an entry of another shape: parse the file again
            pass
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    with contextlib.suppress(_NotKept):  # a date-time or a time: parsed again next time
        encoded = _encoded(raw)
        user_cache.store(_KIND, key, (_PLAIN, raw) if encoded == raw else encoded)
    return raw


def _encoded(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _encoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encoded(v) for v in value]
    if isinstance(value, (dt.datetime, dt.time)):
        raise _NotKept
    if isinstance(value, dt.date):
        return ("date", value.isoformat())
    return value


def _decoded(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    if isinstance(value, tuple):
        tag, text = value
        if tag != "date":
            raise ValueError(f"unknown tag {tag!r}")
        return dt.date.fromisoformat(text)
    return value
