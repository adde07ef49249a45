"""Create (or upgrade) a calibration database.

Without options, writes a new, empty SQLite database ``calibration.sqlite`` with the
newest schema. With ``--db-url`` (or $CALIBPIPE_DB_URL), creates or upgrades the
schema of that live database in place (``alembic upgrade head``) and writes only
``db-init.json`` (the schema revision). Idempotent.
"""

import json

from ..db.access import add_database_arguments

NAME = "db-init"
HELP = "create or upgrade a calibration database (SQLite file by default, or PostgreSQL)"
RECEIPT = "db-init.json"


def add_arguments(parser):
    add_database_arguments(parser, writer=True)


def run(args, ctx):
    from ..db.access import WritableDatabase, database_errors
    from ..db.engine import current_revision

    with WritableDatabase(args, ctx, create=True) as db, database_errors(db.url):
        with db.engine.connect() as connection:
            revision = current_revision(connection)
        backend = db.engine.dialect.name
    receipt = {"schema_revision": revision, "backend": backend}
    with open(ctx.output(RECEIPT), "w") as f:
        f.write(json.dumps(receipt, indent=2, sort_keys=True) + "\n")
    ctx.extra_provenance["schema_revision"] = revision
