"""How the db-* steps reach their database: options, modes, error translation.

Two ways, as the steps' ``--help`` says:

* a **database file** (``--database FILE``, the CWL way): writers (db-init, db-upload)
  work on a copy that becomes their output ``calibration.sqlite`` (the input is never
  modified); readers (db-query, db-export) open it read-only. db-upload without any
  database creates a new one.
* a **live database** (``--db-url URL``, or the environment variable
  ``CALIBPIPE_DB_URL`` when neither option is given): an SQLite file
  (``sqlite:////abs/path.sqlite``) or a PostgreSQL server
  (``postgresql+psycopg://user@host:5432/dbname``), updated in place, transactionally.
"""

import contextlib
import os
from pathlib import Path

from ..errors import StepError, UsageError
from .kinds import utc_time

DATABASE_FILE = "calibration.sqlite"


def add_database_arguments(parser, writer):
    """Add ``--database``, ``--db-url`` and ``--connect-timeout`` to a step's parser."""
    if writer:
        database_help = (
            f"SQLite database file to start from: it is copied, the copy updated and "
            f"written as {DATABASE_FILE} (default: a new database)"
        )
    else:
        database_help = "SQLite database file to read (opened read-only)"
    parser.add_argument("--database", metavar="FILE", help=database_help)
    parser.add_argument(
        "--db-url",
        metavar="URL",
        help="live database updated in place: sqlite:////path/file.sqlite or "
        "postgresql+psycopg://user@host:port/dbname (default: $CALIBPIPE_DB_URL)",
    )
    parser.add_argument(
        "--connect-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="PostgreSQL connection time-out (an unreachable server exits 100)",
    )


def add_recorded_at_argument(parser):
    parser.add_argument(
        "--recorded-at",
        type=utc_time,
        default=None,
        metavar="TIME",
        help="upload time recorded in the database, UTC ISO 8601 (default: now); set it "
        "for reproducible database files",
    )


def live_url(args):
    """The live database URL (``--db-url`` or $CALIBPIPE_DB_URL), or None for file mode."""
    from .engine import ENV_URL

    if args.db_url and args.database:
        raise UsageError("give either --database or --db-url, not both")
    if args.db_url:
        return args.db_url
    if args.database:
        return None
    return os.environ.get(ENV_URL) or None


@contextlib.contextmanager
def database_errors(url):
    """Translate driver errors raised inside the block into step errors (exit 3 / 100)."""
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    from .engine import translate_error

    try:
        yield
    except StepError:
        raise
    except DBAPIError as err:
        raise translate_error(err, url) from None
    except SQLAlchemyError as err:  # pragma: no cover - not a driver error
        raise translate_error(err, url) from None


class WritableDatabase:
    """The database a writing step works on (see the module docstring).

    Use as a context manager; ``engine`` and ``url`` are set inside. On success in file
    mode the output file is made self-contained (rollback-journal mode).
    """

    def __init__(self, args, ctx, create=False):
        self.args, self.ctx, self.create = args, ctx, create
        self.url = live_url(args)
        self.output_file = None
        self.engine = None

    def __enter__(self):
        from .engine import check_schema, make_engine, masked, parse_url, sqlite_copy, sqlite_url
        from .engine import upgrade as upgrade_schema

        args, ctx = self.args, self.ctx
        if self.url is not None:
            url = parse_url(self.url)
            self.ctx.extra_provenance["db_url"] = masked(self.url)
            self.engine = make_engine(url, args.connect_timeout)
            with database_errors(self.url):
                if self.create:
                    upgrade_schema(self.engine)
                else:
                    check_schema(self.engine, self.url)
            return self
        source = None
        if getattr(args, "database", None):
            source = ctx.add_input(args.database, role="database")
        self.output_file = ctx.output(DATABASE_FILE)
        if source is not None:
            sqlite_copy(source, self.output_file)
        self.url = sqlite_url(self.output_file)
        self.engine = make_engine(self.url)
        with database_errors(source or self.url):
            upgrade_schema(self.engine)
        return self

    def __exit__(self, exc_type, exc, tb):
        from .engine import sqlite_self_contained

        if self.engine is not None:
            self.engine.dispose()
        if exc_type is None and self.output_file is not None:
            sqlite_self_contained(self.output_file)
        return False


def readable_database(args, ctx):
    """(engine, url) of the database a reading step queries."""
    from .engine import check_schema, make_engine, masked, parse_url, sqlite_url

    url = live_url(args)
    if url is not None:
        ctx.extra_provenance["db_url"] = masked(url)
        engine = make_engine(parse_url(url), args.connect_timeout)
        label = url
    elif args.database:
        path = ctx.add_input(args.database, role="database")
        engine = make_engine(parse_url(sqlite_url(path, read_only=True)))
        label = str(Path(path))
    else:
        raise UsageError("no database: give --database FILE, --db-url URL or set CALIBPIPE_DB_URL")
    with database_errors(label):
        check_schema(engine, label)
    return engine, label


def write_directory_atomic(directory, files):
    """Write ``files`` ((name, bytes) pairs) as the directory ``directory``, atomically.

    The files are written into a temporary sibling directory that then replaces
    ``directory`` (an older one is removed), so a killed step leaves no half directory.
    """
    import shutil
    import tempfile

    directory = Path(directory)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=".part", dir=directory.parent))
    try:
        for name, data in files:
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            path.chmod(0o644)
        tmp.chmod(0o755)
        old = None
        if directory.exists():
            old = Path(
                tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=".old", dir=directory.parent)
            )
            os.replace(directory, old / directory.name)
        os.replace(tmp, directory)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [directory / name for name, _ in files]
