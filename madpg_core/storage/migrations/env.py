"""Alembic environment: the engine comes from madpg_core.storage.db, never from an ini file."""

from alembic import context

from madpg_core.storage.orm import Base

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    # render_as_batch: SQLite has almost no ALTER TABLE; batch mode copies the table instead.
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
