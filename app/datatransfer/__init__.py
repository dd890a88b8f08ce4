"""Export, import and backup of a Guildhall database (``flask export/import/backup``).

What a dump holds: every *content* table, i.e. the core metadata plus the tables
plug-ins name through the ``export_tables`` hook, minus derived data that is rebuilt
rather than restored:

* ``search_pending`` / ``search_document`` - the search index; ``flask import`` runs a
  full reindex after the rows land;
* ``user_session`` - sign-in sessions; everyone signs in again after a restore;
* the page cache lives outside the database (files or Redis) and is invalidated by
  the import's commit.

A table marks itself derived with ``info={"export": False}`` in its ``Table`` /
``__table_args__`` (plug-ins use this for their own caches and leaderboards).

The format (``FORMAT_VERSION``): a directory with ``manifest.json`` (format version,
dialect, Alembic revisions, row counts and columns per table) and one
``<table>.jsonl`` per table, one JSON object per row in primary-key order. Datetimes,
dates and times are ISO-8601 strings, bytes are base64, decimals are strings, JSON
columns are plain JSON. The import decodes by the *target* column's type, so the
same dump restores into SQLite or PostgreSQL.
"""

from __future__ import annotations

FORMAT_NAME = "guildhall-export"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
