"""Which database the registry uses, and how to connect to it.

The URL is an SQLAlchemy URL: ``sqlite:///path/registry.db`` (a file; the
default) or ``postgresql://user@host/db`` (read as ``postgresql+psycopg://``:
psycopg 3 is the driver eur1pdf installs). A bare path is a SQLite file.

The default is ``$EUR1PDF_DB`` when set, else ``registry.db`` in the user's
data folder (``$XDG_DATA_HOME/eur1pdf``, by default ``~/.local/share/eur1pdf``):
the record of what was issued must not depend on the folder ``eur1pdf serve``
was started from, or a second registry made by accident would let a serial be
issued twice.

This is the one place that knows SQLite from PostgreSQL, and only to
configure the connection (no SQL differs): SQLite waits for a lock instead
of failing at once (``timeout``), enforces foreign keys, and keeps a
write-ahead log so verification lookups read while a finalization writes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

SQLITE_LOCK_WAIT_SECONDS = 30.0


def default_db_path() -> Path:
    """Where the SQLite registry lives when no URL is given (see the module's docstring)."""
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "eur1pdf" / "registry.db"


def database_url(url: str | None = None) -> str:
    """The SQLAlchemy URL for ``url`` (None: ``$EUR1PDF_DB`` or the default SQLite file)."""
    url = url or os.environ.get("EUR1PDF_DB") or None
    if url is None:
        return f"sqlite:///{default_db_path()}"
    if "://" not in url:  # a path: a SQLite file
        return f"sqlite:///{Path(url).expanduser()}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def display_url(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def make_engine(url: str, **engine_options: Any) -> sa.Engine:
    """An engine for the registry at ``url`` (already normalised by :func:`database_url`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine_options.setdefault("pool_pre_ping", True)
        return sa.create_engine(url, **engine_options)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine_options.setdefault("connect_args", {"timeout": SQLITE_LOCK_WAIT_SECONDS})
    engine = sa.create_engine(url, **engine_options)
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
