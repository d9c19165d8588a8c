"""Alembic's environment for the registry: always run from :func:`eur1pdf.service.registry.migrate.upgrade`,
which hands over an open connection (``config.attributes["connection"]``); no alembic.ini."""

from __future__ import annotations

from alembic import context

from eur1pdf.service.registry.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the registry's migrations with `eur1pdf db upgrade --db URL`")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
