"""Atomic output files.

A step never writes its products in place. It asks :class:`OutputSet` for a
temporary path in the destination directory, writes there, and only when the
whole step has succeeded are all products moved into place with
:func:`os.replace` (atomic on POSIX within one file system). A step that fails
or is killed therefore leaves no partial product behind.
"""

import hashlib
import os
import tempfile
from pathlib import Path

from .errors import UsageError

_CHUNK = 1 << 20


def sha256_of(path):
    """Return the hex sha256 digest of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def check_writable_directory(directory):
    """Raise :class:`UsageError` unless ``directory`` exists and is writable."""
    directory = Path(directory)
    if not directory.is_dir():
        raise UsageError(f"{directory}: output directory does not exist")
    try:
        fd, probe = tempfile.mkstemp(prefix=".calibpipe-probe-", dir=directory)
    except OSError as err:
        raise UsageError(
            f"{directory}: output directory is not writable ({err.strerror})"
        ) from None
    os.close(fd)
    os.unlink(probe)


class OutputSet:
    """The products of one step run, committed together or not at all.

    Parameters
    ----------
    directory : path-like
        Where the products go (CWL's output directory: the working directory).
    """

    def __init__(self, directory="."):
        self.directory = Path(directory)
        self._pending = {}  # final path -> temporary path

    def path(self, basename):
        """Return a temporary path to write the product ``basename`` to.

        The file appears under its final name only after :meth:`commit`.
        """
        if os.sep in basename or basename in (".", ".."):
            raise ValueError(f"output basename must not contain a directory: {basename!r}")
        final = self.directory / basename
        if final in self._pending:
            raise ValueError(f"output {basename!r} requested twice")
        fd, tmp = tempfile.mkstemp(prefix=f".{basename}.", suffix=".part", dir=self.directory)
        os.close(fd)
        self._pending[final] = Path(tmp)
        return Path(tmp)

    @property
    def final_paths(self):
        """Final paths of all products, in the order they were requested."""
        return list(self._pending)

    def commit(self):
        """Move every product into place; returns the list of final paths."""
        for final, tmp in self._pending.items():
            os.chmod(tmp, 0o644)
            os.replace(tmp, final)
        done = list(self._pending)
        self._pending = {}
        return done

    def discard(self):
        """Remove every temporary file (after a failure)."""
        for tmp in self._pending.values():
            try:
                tmp.unlink()
            except FileNotFoundError:
                pass
        self._pending = {}


def write_bytes_atomic(path, data):
    """Write ``data`` to ``path`` through a temporary file and :func:`os.replace`."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
