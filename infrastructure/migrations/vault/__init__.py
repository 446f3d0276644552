"""Alembic revisions of one part (see ``infrastructure.migrations``)."""
