"""Which database the registry uses, and how to connect to it.

The URL is an SQLAlchemy URL: ``sqlite:///path/registry.db`` (a file; the
default) or ``postgresql://user@host/db`` (read as ``postgresql+psycopg://``:
psycopg 3 is the driver eur1pdf installs). A bare path is a SQLite file;
``sqlite://`` a database in memory, for a quick test in one thread (a file
for anything concurrent).

The default is ``$EUR1PDF_DB`` when set, else ``registry.db`` in the user's
data folder (``$XDG_DATA_HOME/eur1pdf``, by default ``~/.local/share/eur1pdf``):
the record of what was issued must not depend on the folder ``eur1pdf serve``
was started from, or a second registry made by accident would let a serial be
issued twice.

This is the one place that knows SQLite from PostgreSQL, and only to
configure the connection (no SQL differs): SQLite waits for a lock instead
of failing at once (``timeout``), enforces foreign keys, and keeps a
write-ahead log so verification lookups read while a finalization writes.
Python's sqlite3 module (before 3.12) begins a transaction only before
INSERT/UPDATE/DELETE, so a migration's CREATE TABLEs would each commit alone;
SQLAlchemy's documented recipe hands transactions to SQLAlchemy instead
(``isolation_level = None`` and an explicit ``BEGIN``), and
:func:`write_transaction` begins ``IMMEDIATE``: it waits for the write lock at
the start rather than failing when it first writes.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
    connect_args: dict[str, Any] = {"timeout": SQLITE_LOCK_WAIT_SECONDS}
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    else:  # in memory: one connection, or each would see its own empty database (one thread at a time)
        engine_options.setdefault("poolclass", sa.StaticPool)
        connect_args["check_same_thread"] = False
    engine_options.setdefault("connect_args", connect_args)
    engine = sa.create_engine(url, **engine_options)
    sa.event.listen(engine, "connect", _sqlite_connected)
    sa.event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connected(dbapi_connection: Any, connection_record: Any) -> None:
    dbapi_connection.isolation_level = None  # no implicit BEGIN: SQLAlchemy's begin event says when
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    _use_wal(cursor)
    cursor.close()


def _use_wal(cursor: Any) -> None:
    """Switch the file to write-ahead logging (kept in the file: done once).

    Changing the journal mode needs the database alone, and SQLite answers "database is
    locked" at once, without its busy timeout, while another process opens the same new file
    (seen when several instances start together): ask again for up to the lock wait."""
    deadline = time.monotonic() + SQLITE_LOCK_WAIT_SECONDS
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _sqlite_begin(connection: sa.Connection) -> None:
    """Writes (and migrations) begin IMMEDIATE; a snapshot (``isolation_level="SERIALIZABLE"``,
    the export) an ordinary BEGIN; plain reads none: each SELECT is consistent alone, and
    a lookup costs no BEGIN and ROLLBACK round."""
    options = connection.get_execution_options()
    if options.get(WRITE_OPTION, False):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif options.get("isolation_level") == "SERIALIZABLE":
        connection.exec_driver_sql("BEGIN")


WRITE_OPTION = "eur1pdf_writes"


@contextmanager
def write_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A transaction that writes: committed at the end, rolled back on an exception. On SQLite it
    takes the write lock first (waiting its turn), on PostgreSQL it is an ordinary transaction."""
    with engine.connect() as connection:
        connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin():
            yield connection
