"""Compile ctapipe's typed numba functions into their cache once, in one process.

ctapipe declares its waveform extractors, pixel statistics and muon-intensity kernels as
numba generalised ufuncs with fixed signatures and ``cache=True``: they compile when their
module is imported and write the cache beside ctapipe (``__pycache__/*.nbi``, ``*.nbc``).
numba writes a gufunc's cache as two files without a lock, so two processes compiling the
same function at once (parallel steps of a workflow on a fresh installation, test workers)
can leave a mismatched pair that makes every later process segfault when it loads it
(numba/numba#10128, cta-observatory/ctapipe#2837). ``make install`` and the image build run
``python -m calibpipe_tasks.numba_cache`` once after installing, so that steps started in
parallel only read the cache. Where the cache cannot be shared safely at all (a venv on a
network file system used by many nodes), set ``CTAPIPE_DISABLE_NUMBA_CACHE=1``.

In the step image the cache is built into ``NUMBA_CACHE_DIR`` at build time. CWL runners start
containers with a read-only root (``cwltool --podman`` passes ``--read-only=true``; Singularity
and Apptainer images are read-only): numba then rejects the cache directory (it must be
writable) and compiles every function again at every start, 20-35 s per ctapipe step. The
image's interpreter therefore runs :func:`use_a_writable_copy` at start-up (a ``.pth`` file of
its venv), which points numba at a copy of the cache in the temporary directory.
"""

import importlib
import os
import shutil
import tempfile

#: ctapipe modules whose numba functions have fixed signatures (compiled at import)
TYPED_MODULES = (
    "ctapipe.image.extractor",
    "ctapipe.image.statistics",
    "ctapipe.image.muon.intensity_fitter",
)


def warm_up():
    """Import :data:`TYPED_MODULES`, which compiles (or loads) and caches their functions."""
    for name in TYPED_MODULES:
        importlib.import_module(name)


def _writable(directory):
    """Whether a file can be made in ``directory`` (numba's own test of a cache directory)."""
    try:
        tempfile.TemporaryFile(dir=directory).close()
    except OSError:
        return False
    return True


def use_a_writable_copy():
    """Point ``NUMBA_CACHE_DIR`` at a writable copy of it when it is read-only.

    The copy is made once per user and temporary directory (``<tmp>/numba-cache-<uid>``,
    written under another name and renamed, so that processes starting together never read
    half a copy). Does nothing when ``NUMBA_CACHE_DIR`` is unset, missing or writable. Returns
    the directory numba will use, or None.
    """
    cache = os.environ.get("NUMBA_CACHE_DIR")
    if not cache or not os.path.isdir(cache) or _writable(cache):
        return cache or None
    tmp = tempfile.gettempdir()
    copy = os.path.join(tmp, f"numba-cache-{os.getuid()}")
    if not os.path.isdir(copy):
        partial = tempfile.mkdtemp(prefix=".numba-cache-", dir=tmp)
        shutil.copytree(cache, partial, dirs_exist_ok=True)
        try:
            os.rename(partial, copy)
        except OSError:  # another process renamed its copy first
            shutil.rmtree(partial, ignore_errors=True)
    os.environ["NUMBA_CACHE_DIR"] = copy
    return copy


if __name__ == "__main__":
    warm_up()
