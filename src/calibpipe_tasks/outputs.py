"""Atomic output files.

A step never writes its products in place. It asks :class:`OutputSet` for a
temporary path, writes there, and only when the whole step has succeeded are
all products moved into place with :func:`os.replace` (atomic on POSIX within
one file system). A step that fails or is killed therefore leaves no partial
product behind.

The temporaries of one run live in one hidden directory inside the output
directory (same file system, so :func:`os.replace` stays atomic), named
``.calibpipe-tmp-<step>-<pid>@<host>-<random>``. A run removes it when it ends
(success or failure). A run killed by a signal (``kill -9``, an out-of-memory
kill, a batch system's time limit) cannot; the next run that writes into the
same directory removes the directories whose process is gone: those of this
host whose pid is no longer alive, and those of other hosts (a shared file
system, a container with its own host name) untouched for a week. Directories
of live runs (another step writing into the same directory at the same time)
are left alone.

For the tests, ``CALIBPIPE_TEST_KILL_AT=N`` makes the process SIGKILL itself
(``CALIBPIPE_TEST_STOP_AT=N``: SIGSTOP) at the N-th write checkpoint
(:func:`_checkpoint`): after each temporary is created, before the commit,
after each rename of the commit, before the provenance record is renamed.
"""

import hashlib
import os
import re
import shutil
import signal
import socket
import tempfile
import time
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


TMP_PREFIX = ".calibpipe-tmp-"
_TMP_NAME = re.compile(
    r"^\.calibpipe-tmp-(?P<owner>[A-Za-z0-9_-]+?)-(?P<pid>\d+)@(?P<host>[A-Za-z0-9._-]+)"
    r"-[A-Za-z0-9_]+$"
)
#: age [s] after which the temporary directory of another host is taken as left by a
#: killed run (a container has its own host name; no step runs for a week)
FOREIGN_STALE_AFTER_S = 7 * 86400
#: temporary directories made by this process and not yet removed (live)
_OWN_DIRS = set()
#: number of write checkpoints passed in this process (see CALIBPIPE_TEST_KILL_AT)
_checkpoints = 0
#: test hooks: environment variable -> signal the process sends itself at that checkpoint
TEST_SIGNALS = {"CALIBPIPE_TEST_KILL_AT": signal.SIGKILL, "CALIBPIPE_TEST_STOP_AT": signal.SIGSTOP}


def _checkpoint():
    """Count a write checkpoint; signal this process at the one named by a test variable."""
    global _checkpoints
    _checkpoints += 1
    for variable, signum in TEST_SIGNALS.items():
        if os.environ.get(variable) == str(_checkpoints):
            os.kill(os.getpid(), signum)


def _host():
    return re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname()) or "localhost"


def _pid_alive(pid):
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def _is_stale(entry, host):
    """Whether ``entry`` is the temporary directory of a dead run on this host (or, from
    another host or container, untouched for :data:`FOREIGN_STALE_AFTER_S`)."""
    match = _TMP_NAME.match(entry.name)
    if match is None or not entry.is_dir(follow_symlinks=False):
        return False
    if match["host"] != host:  # its process cannot be looked up from here: by age only
        try:
            age = time.time() - entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            return False
        return age > FOREIGN_STALE_AFTER_S
    pid = int(match["pid"])
    if pid == os.getpid():  # ours if made by this process; else left by an earlier one (pid 1..)
        return os.path.abspath(entry.path) not in _OWN_DIRS
    return not _pid_alive(pid)


def remove_stale_temporaries(directory):
    """Remove the temporary directories that killed runs left in ``directory``.

    Only directories named by this module are removed: made on this host by a process
    that no longer exists, or on another host and untouched for a week. Returns their
    paths.
    """
    host = _host()
    try:
        entries = [e for e in os.scandir(directory) if e.name.startswith(TMP_PREFIX)]
    except OSError:
        return []
    stale = [e.path for e in entries if _is_stale(e, host)]
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    return stale


def make_temporary_directory(directory, owner):
    """A new temporary directory for one run in ``directory`` (after removing stale ones)."""
    remove_stale_temporaries(directory)
    owner = re.sub(r"[^A-Za-z0-9_-]", "_", str(owner)) or "run"
    path = tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{owner}-{os.getpid()}@{_host()}-", dir=directory)
    _OWN_DIRS.add(os.path.abspath(path))
    return Path(path)


def remove_temporary_directory(path):
    """Remove a directory made by :func:`make_temporary_directory`, with what is left in it."""
    _OWN_DIRS.discard(os.path.abspath(path))
    shutil.rmtree(path, ignore_errors=True)


class OutputSet:
    """The products of one step run, committed together or not at all.

    Parameters
    ----------
    directory : path-like
        Where the products go (CWL's output directory: the working directory).
    owner : str
        Who writes (the step name), part of the temporary directory's name.
    """

    def __init__(self, directory=".", owner="output"):
        self.directory = Path(directory)
        self.owner = owner
        self._pending = {}  # final path -> temporary path
        self._tmpdir = None

    def path(self, basename):
        """Return a temporary path to write the product ``basename`` to.

        The file appears under its final name only after :meth:`commit`.
        """
        if os.sep in basename or basename in (".", ".."):
            raise ValueError(f"output basename must not contain a directory: {basename!r}")
        final = self.directory / basename
        if final in self._pending:
            raise ValueError(f"output {basename!r} requested twice")
        if self._tmpdir is None:
            self._tmpdir = make_temporary_directory(self.directory, self.owner)
        tmp = self._tmpdir / basename
        tmp.touch()
        self._pending[final] = tmp
        _checkpoint()
        return tmp

    def subdirectory(self, name):
        """Return a temporary directory to write the product directory ``name`` into.

        The directory appears under its final name, complete, only after :meth:`commit`
        (a directory of the same name from an earlier run is replaced).
        """
        tmp = self.path(name)
        tmp.unlink()
        tmp.mkdir()
        return tmp

    @property
    def final_paths(self):
        """Final paths of all products, in the order they were requested."""
        return list(self._pending)

    def commit(self):
        """Move every product into place; returns the list of final paths.

        Each product is complete when it appears; a kill during the commit (a few
        renames) leaves some products in place and no provenance record.
        """
        _checkpoint()
        for final, tmp in self._pending.items():
            if tmp.is_dir():
                _replace_directory(tmp, final, self._tmpdir)
            else:
                os.chmod(tmp, 0o644)
                os.replace(tmp, final)
            _checkpoint()
        done = list(self._pending)
        self._pending = {}
        self._remove_tmpdir()
        return done

    def discard(self):
        """Remove every temporary file (after a failure)."""
        self._pending = {}
        self._remove_tmpdir()

    def _remove_tmpdir(self):
        if self._tmpdir is not None:
            remove_temporary_directory(self._tmpdir)
            self._tmpdir = None


def _replace_directory(tmp, final, tmpdir):
    """Move the finished directory ``tmp`` to ``final``, an earlier one moved aside first."""
    for root, _dirs, names in os.walk(tmp):
        os.chmod(root, 0o755)
        for name in names:
            os.chmod(os.path.join(root, name), 0o644)
    if final.is_dir() and not final.is_symlink():
        os.replace(final, tmpdir / f".replaced-{final.name}")  # removed with the tmpdir
    os.replace(tmp, final)


def write_bytes_atomic(path, data):
    """Write ``data`` to ``path`` through a temporary file and :func:`os.replace`."""
    path = Path(path)
    tmpdir = make_temporary_directory(path.parent, "write")
    try:
        tmp = tmpdir / path.name
        with open(tmp, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        _checkpoint()
        os.replace(tmp, path)
    finally:
        remove_temporary_directory(tmpdir)
