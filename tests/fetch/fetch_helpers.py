"""Helpers of the download tests: the fake services on a free port, quick retry options.

Not a ``conftest.py``: test modules import from the top-level ``conftest`` by name, so a
second module of that name here would shadow it.
"""

import pytest
from fake_services import FakeServices

#: quick retries in tests: 3 retries, 10 ms first wait, 10 s time-out
FAST = ["--max-retries", "3", "--retry-wait", "0.01", "--timeout", "10"]


@pytest.fixture(name="services")
def services_fixture():
    """Fresh fake CDS/GDEX/Scripps services on an ephemeral port of 127.0.0.1."""
    server = FakeServices().start()
    try:
        yield server
    finally:
        server.stop()
