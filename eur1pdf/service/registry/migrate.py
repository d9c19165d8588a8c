"""The registry's schema migrations (Alembic), run programmatically: on start-up and by
``eur1pdf db upgrade``. The scripts live in ``migrations/`` inside the package, so an
installed eur1pdf migrates its own database without an alembic.ini."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

SCRIPTS = Path(__file__).with_name("migrations")


def _config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision this eur1pdf knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "the registry's migrations have no revision"
    return head


def current_revision(engine: sa.Engine) -> str | None:
    """The revision the database is at (None: an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: sa.Engine) -> tuple[str | None, str]:
    """Bring the database to the newest revision (nothing to do when it is there); (before, after)."""
    before = current_revision(engine)
    if before != head_revision():
        with engine.begin() as connection:
            command.upgrade(_config(connection), "head")
    return before, head_revision()
