"""Databases for the registry's tests: a SQLite file, and a fresh schema on the PostgreSQL server
at 127.0.0.1:5432 (trust authentication, database ``test``, user ``postgres``; override with
``EUR1PDF_TEST_POSTGRES``). PostgreSQL tests are skipped only when no server answers."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

POSTGRES = os.environ.get("EUR1PDF_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_answers() -> bool:
    import psycopg

    try:
        with psycopg.connect(POSTGRES.replace("+psycopg", ""), connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL whose tables live in a schema of their own, dropped afterwards."""
    import sqlalchemy as sa

    if not postgres_answers():
        pytest.skip(f"no PostgreSQL server answers at {POSTGRES}")
    schema = f"eur1pdf_test_{secrets.token_hex(6)}"
    admin = sa.create_engine(POSTGRES, poolclass=sa.NullPool)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A fresh, empty registry database URL of ``kind`` (sqlite or postgresql)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'registry.db'}"
        return
    with postgres_schema() as url:
        yield url
