"""Database URLs, engines, schema migrations and the mapping of driver errors to exit codes.

* SQLite (the default): a file, opened with WAL journalling, ``busy_timeout`` and
  ``BEGIN IMMEDIATE`` for writing transactions, so that concurrent writer processes
  queue up instead of failing; read-only access (``mode=ro``) for query steps.
* PostgreSQL: ``postgresql+psycopg://user[:password]@host[:port]/dbname`` (psycopg 3),
  with a connect time-out; writers lock their (kind, target) row with
  ``SELECT ... FOR UPDATE`` (see :mod:`.repository`).

An unreachable server is a :class:`~calibpipe_tasks.errors.TemporaryFailure` (exit 100).
"""

import logging
import sqlite3
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, DBAPIError, OperationalError

from ..errors import InputDataError, TemporaryFailure, UsageError

log = logging.getLogger(__name__)

#: environment variable naming the database URL when no option gives one
ENV_URL = "CALIBPIPE_DB_URL"
#: SQLite: how long a writer waits for the lock of another writer (ms)
SQLITE_BUSY_TIMEOUT_MS = 60_000
#: execution option that makes a transaction a writing one (BEGIN IMMEDIATE on SQLite)
WRITE_OPTION = "calibpipe_write"


def masked(url):
    """The URL as text with its password hidden (for logs and provenance)."""
    try:
        return make_url(str(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return str(url) if "://" not in str(url) else "<invalid URL>"


def sqlite_url(path, read_only=False):
    """SQLAlchemy URL of an SQLite file (``mode=ro`` when ``read_only``)."""
    path = Path(path).resolve()
    if read_only:
        return f"sqlite:///file:{path}?mode=ro&uri=true"
    return f"sqlite:///{path}"


def parse_url(text):
    """Check a database URL: SQLite or PostgreSQL (psycopg 3). Raises :class:`UsageError`."""
    try:
        url = make_url(str(text))
    except ArgumentError:
        raise UsageError(f"not a database URL: {masked(text)!r}") from None
    if url.get_backend_name() == "postgresql":
        if url.get_driver_name() not in ("psycopg", "psycopg2") and url.drivername != "postgresql":
            raise UsageError(
                f"unsupported PostgreSQL driver in {masked(text)} (use postgresql+psycopg)"
            )
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        return url
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise UsageError(f"{masked(text)}: an SQLite URL must name a file")
        if not url.database.startswith("file:"):
            parent = Path(url.database).resolve().parent
            if not parent.is_dir():
                raise UsageError(f"{url.database}: directory of the SQLite database does not exist")
        return url
    raise UsageError(
        f"unsupported database URL {masked(text)} (use sqlite:/// or postgresql+psycopg://)"
    )


def make_engine(url, connect_timeout=10):
    """Create an engine for ``url`` (a URL string or :class:`sqlalchemy.engine.URL`)."""
    url = parse_url(url) if isinstance(url, str) else url
    if url.get_backend_name() == "sqlite":
        read_only = "mode=ro" in str(url)
        # a pooled connection keeps the WAL open between transactions (closing the last
        # connection checkpoints and fsyncs); call engine.dispose() when done
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection, _record):
            # let SQLAlchemy (not pysqlite) emit BEGIN, so that writers can BEGIN IMMEDIATE
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout = 60000")  # = SQLITE_BUSY_TIMEOUT_MS
            cursor.execute("PRAGMA foreign_keys = ON")
            if not read_only:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            if conn.get_execution_options().get(WRITE_OPTION):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")

        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        connect_args={"connect_timeout": int(connect_timeout)},
    )


#: PostgreSQL connection refusals that go away by themselves (retry: exit 100)
_TEMPORARY_FATAL = (
    "too many clients",
    "starting up",
    "shutting down",
    "in recovery mode",
    "remaining connection slots",
)


def translate_error(err, url):
    """Turn a driver error into a step error.

    Unreachable or busy database: :class:`TemporaryFailure` (exit 100); a server that
    refuses the connection (password, role, database name): :class:`UsageError` (2);
    any other database error: :class:`InputDataError` (3).
    """
    where = masked(url)
    message = str(getattr(err, "orig", err) or err).strip().splitlines()
    first = message[0] if message else type(err).__name__
    if isinstance(err, OperationalError):
        text = " ".join(message)
        if "FATAL:" in text and not any(t in text for t in _TEMPORARY_FATAL):
            # the server answered and refused: wrong password, unknown role or database
            fatal = text[text.index("FATAL:") + len("FATAL:") :].strip()
            return UsageError(f"database {where} refused the connection: {fatal}")
        return TemporaryFailure(f"database {where} unavailable: {first}")
    if isinstance(err, DatabaseError | DBAPIError):
        return InputDataError(where, f"unusable database: {first}")
    return TemporaryFailure(f"database {where}: {first}")  # pragma: no cover


def alembic_config():
    """Alembic configuration pointing at the migration scripts shipped in the package."""
    directory = resources.files("calibpipe_tasks.db")
    config = Config(str(directory / "alembic.ini"))
    config.set_main_option("script_location", str(directory / "migrations"))
    return config


def head_revision():
    """The newest schema revision the installed package knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection):
    """The schema revision of an open database (None if it has never been initialised)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine):
    """Create or upgrade the schema to the newest revision (``alembic upgrade head``)."""
    config = alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        connection.commit()


def check_schema(engine, url):
    """Raise :class:`InputDataError` unless the database has the newest schema."""
    with engine.connect() as connection:
        revision = current_revision(connection)
    head = head_revision()
    if revision is None:
        raise InputDataError(masked(url), "not a calibration database (run db-init first)")
    if revision != head:
        raise InputDataError(
            masked(url), f"schema revision {revision}, this software needs {head} (run db-init)"
        )


def sqlite_self_contained(path):
    """Check-point the WAL and switch the SQLite file to rollback-journal mode.

    A database file handed on as a CWL output is then one self-contained file that
    readers can open read-only without creating ``-wal``/``-shm`` files next to it.
    """
    connection = sqlite3.connect(str(path))
    try:
        connection.execute("PRAGMA journal_mode = DELETE")
    finally:
        connection.close()


def sqlite_copy(source, destination):
    """Copy an SQLite database consistently (backup API, includes a pending WAL)."""
    try:
        src = sqlite3.connect(f"file:{Path(source).resolve()}?mode=ro", uri=True)
    except sqlite3.Error as err:
        raise InputDataError(source, f"cannot open the SQLite database ({err})") from None
    dst = sqlite3.connect(str(destination))
    try:
        src.backup(dst)
    except sqlite3.DatabaseError as err:
        raise InputDataError(source, f"not an SQLite database ({err})") from None
    finally:
        src.close()
        dst.close()
