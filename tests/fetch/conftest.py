"""Fixtures of the download tests: the fake services on a free port, credential files."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_services import FakeServices  # noqa: E402


@pytest.fixture
def services():
    """Fresh fake CDS/GDEX/Scripps services on an ephemeral port of 127.0.0.1."""
    server = FakeServices().start()
    try:
        yield server
    finally:
        server.stop()


# quick retries in tests: 3 retries, 10 ms first wait
FAST = ["--max-retries", "3", "--retry-wait", "0.01", "--timeout", "10"]
