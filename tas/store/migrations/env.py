"""Alembic environment: runs on the connection :mod:`tas.store.migrate` hands over (under its
lock), never on a URL of its own. ``target_metadata`` is every table of the project, for
``alembic revision --autogenerate`` when a developer writes the next revision."""

from __future__ import annotations

from alembic import context

from tas.store.migrate import all_metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=all_metadata(),
    render_as_batch=True,  # SQLite alters tables by copy (batch mode)
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
