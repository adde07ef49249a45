"""Alembic environment of the calibration database.

Run programmatically by :func:`calibpipe_tasks.db.engine.upgrade`, which passes an
open connection in ``config.attributes["connection"]``; from the command line the URL
comes from ``-x url=...`` or the environment variable ``CALIBPIPE_DB_URL``.
"""

import os

from alembic import context
from sqlalchemy import create_engine

from calibpipe_tasks.db.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection):
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get(
        "CALIBPIPE_DB_URL"
    )
    if not url:
        raise SystemExit("give the database URL: alembic -x url=... or CALIBPIPE_DB_URL")
    engine = create_engine(url)
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
