"""Local stand-ins of the CDS, GDEX and Scripps for the ``fetch-*`` jobs of the CWL tests.

The jobs ``cwl/jobs/fetch-*.yml`` point at ``http://127.0.0.1:48613`` (the port is fixed
because job files are static). The fixture below starts the fake services of
``tests/fetch/fake_services.py`` on that port for a test that runs them, once per
test process. The services keep no state between calls (ids carry the request), so
with pytest-xdist each worker runs its own server on the same port (``SO_REUSEPORT``)
and it does not matter which one answers.
"""

import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "fetch"))

from fake_services import FakeServices  # noqa: E402

PORT = 48613
_server = None
_lock = threading.Lock()


def _start_once():
    global _server
    with _lock:
        if _server is None:
            try:
                _server = FakeServices(port=PORT, reuse_port=True).start()
            except OSError as err:
                pytest.fail(f"cannot start the fake services on 127.0.0.1:{PORT}: {err}")
    return _server


@pytest.fixture
def fake_services():
    """The fake services, started for a test that runs the whole list (fetch-* included)."""
    return _start_once()
