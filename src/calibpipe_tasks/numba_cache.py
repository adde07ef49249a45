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
"""

import importlib

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


if __name__ == "__main__":
    warm_up()
