"""calibpipe-tasks: CTAO calibration pipeline steps as a CWL task collection."""

# The single source of the version (pyproject reads it; CWL DockerRequirement hints follow it).
# A literal rather than importlib.metadata keeps `calibpipe-tasks <step> --help` fast.
__version__ = "0.1.0"

# ecCodes' wheel (eckitlib) bundles SQLite 3.26 and loads it with global symbols: if eccodes is
# imported before the sqlite3 module, Python's sqlite3 binds to that old library and SQL with
# RETURNING (SQLAlchemy 2 uses it) fails with a syntax error. Loading Python's own SQLite first
# (a few ms) makes any later import order safe.
import sqlite3  # noqa: E402, F401

__all__ = ["__version__"]
