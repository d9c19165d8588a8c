"""The registry's migrations on databases made by an older eur1pdf: revision 0002 adds
``certificates.created_by`` and back-fills it from the audit trail's "created" rows, on SQLite
and PostgreSQL; the filter ``records(created_by=…)`` then finds each creator's own."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from eur1pdf.service.registry import Registry, current_revision, head_revision
from eur1pdf.service.registry.engine import make_engine, write_transaction
from eur1pdf.service.registry.migrate import _config

from .registry_db import database

pytestmark = pytest.mark.slow  # databases migrated step by step, PostgreSQL included


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    with database(request.param, tmp_path) as url:
        yield url


def _migrate_to(engine: sa.Engine, revision: str) -> None:
    with write_transaction(engine) as connection:
        command.upgrade(_config(connection), revision)


def _old_certificate(connection: sa.Connection, certificate_id: str, trail: list[tuple[str, str]]) -> None:
    """A certificate as revision 0001 stored it, with its audit rows (actor, action), oldest first."""
    now = sa.func.current_timestamp()
    connection.execute(
        sa.text(
            "INSERT INTO certificates (id, serial, status, form, agreement, data, digest, options, findings,"
            " created_at, updated_at) VALUES (:id, NULL, 'provisional', 'eur1', 'ch-eu', '{}', :digest,"
            " '{}', '[]', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        ),
        {"id": certificate_id, "digest": "0" * 64},
    )
    for actor, action in trail:
        connection.execute(
            sa.table(
                "audit",
                sa.column("certificate_id"),
                sa.column("at"),
                sa.column("key_name"),
                sa.column("action"),
                sa.column("detail"),
            )
            .insert()
            .values(certificate_id=certificate_id, at=now, key_name=actor, action=action, detail="{}")
        )


def test_created_by_is_back_filled_from_the_audit_trail(db_url, example):
    engine = make_engine(db_url)
    try:
        _migrate_to(engine, "0001")
        assert current_revision(engine) == "0001"
        with write_transaction(engine) as connection:
            _old_certificate(connection, "made-by-anna", [("anna", "created"), ("bert", "replaced")])
            _old_certificate(connection, "made-by-bert", [("bert", "created"), ("anna", "finalized")])
            _old_certificate(connection, "no-created-row", [("carl", "replaced")])
    finally:
        engine.dispose()
    with Registry(db_url) as registry:  # opening migrates to the newest revision
        assert current_revision(registry.engine) == head_revision()
        assert registry.get("made-by-anna").created_by == "anna"  # the creator, not the last to change it
        assert registry.get("made-by-bert").created_by == "bert"
        assert registry.get("no-created-row").created_by == ""  # in nobody's own list
        assert [r.id for r in registry.records(created_by="anna")] == ["made-by-anna"]
        fresh = registry.create(example, "anna")  # new rows take the actor at create
        assert fresh.created_by == "anna" and fresh.to_dict()["created_by"] == "anna"
        assert {r.id for r in registry.records(created_by="anna")} == {"made-by-anna", fresh.id}
        assert registry.count(created_by="anna") == 2 and registry.count(created_by="bert") == 1
        assert registry.count(created_by="nobody") == 0 and registry.count() == 4
        with registry.engine.connect() as connection:
            indexes = {index["name"] for index in sa.inspect(connection).get_indexes("certificates")}
        assert "ix_certificates_created_by" in indexes


def test_0002_goes_down_and_up_again(db_url, example):
    """The downgrade drops the column (no table rebuild under the foreign keys); upgrading again
    back-fills it from the audit trail, which kept who created each certificate."""
    with Registry(db_url) as registry:
        made = registry.create(example, "anna")
        with write_transaction(registry.engine) as connection:
            command.downgrade(_config(connection), "0001")
        assert current_revision(registry.engine) == "0001"
        with registry.engine.connect() as connection:
            columns = {column["name"] for column in sa.inspect(connection).get_columns("certificates")}
        assert "created_by" not in columns
        _migrate_to(registry.engine, "head")
        assert registry.get(made.id).created_by == "anna"
