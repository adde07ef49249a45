"""Fixtures of the database tests: a fresh database on each backend (SQLite and PostgreSQL).

PostgreSQL: the server named by ``CALIBPIPE_TEST_POSTGRESQL_URL`` (default: the one
``tests/db/start_postgresql.sh`` starts, postgresql+psycopg://calibpipe:calibpipe@127.0.0.1:5432/
calibpipe_test). Each test gets its own database, created and dropped around it. When no
server answers, the PostgreSQL tests skip with a message saying how to start one; under
CI (``CI=true``) they fail instead.
"""

import os
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import in_ci  # noqa: E402

DB_DATA = Path(__file__).resolve().parent / "data"
DEFAULT_PG_URL = "postgresql+psycopg://calibpipe:calibpipe@127.0.0.1:5432/calibpipe_test"
PG_URL = os.environ.get("CALIBPIPE_TEST_POSTGRESQL_URL", DEFAULT_PG_URL)
BACKENDS = ["sqlite", "postgresql"]


def _pg_admin_dsn():
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


_PG_STATE = {}


def postgresql_or_skip():
    """The admin DSN of the test server; skip (fail under CI) when it cannot be reached."""
    if "error" not in _PG_STATE and "dsn" not in _PG_STATE:
        try:
            import psycopg

            dsn = _pg_admin_dsn()
            with psycopg.connect(dsn, connect_timeout=3):
                pass
            _PG_STATE["dsn"] = dsn
        except Exception as err:  # noqa: BLE001 - any failure means "no server"
            _PG_STATE["error"] = str(err).strip().splitlines()[0] if str(err) else repr(err)
    if "error" in _PG_STATE:
        from sqlalchemy.engine import make_url

        message = (
            f"PostgreSQL not reachable at "
            f"{make_url(PG_URL).render_as_string(hide_password=True)} "
            f"({_PG_STATE['error']}); start one with tests/db/start_postgresql.sh and "
            f"export CALIBPIPE_TEST_POSTGRESQL_URL"
        )
        if in_ci():
            pytest.fail(f"under CI the PostgreSQL tests must run: {message}")
        pytest.skip(message)
    return _PG_STATE["dsn"]


def new_database_url(backend, tmp_path):
    """Create an empty database on ``backend``; return (url, drop function)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'calibration.sqlite'}", lambda: None
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    dsn = postgresql_or_skip()
    name = f"calibpipe_t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop():
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    return url, drop


@pytest.fixture(name="db_url", params=BACKENDS)
def db_url_fixture(request, tmp_path):
    """URL of a fresh, empty database on each backend (schema not created)."""
    url, drop = new_database_url(request.param, tmp_path)
    yield url
    drop()


@pytest.fixture(name="engine")
def engine_fixture(db_url):
    """An engine on a fresh database with the newest schema."""
    from calibpipe_tasks.db.engine import make_engine, upgrade

    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()
