"""Regenerate the bundled SimPipe exchange sample set in this directory.

    .venv/bin/python tests/data/exchange_sample/make_sample.py

The set is written with calibpipe_tasks.io.simpipe.write_exchange_set from the
fixture data of tests/exchange_fixtures.py (U.S. Standard Atmosphere 1976
profile, analytic Rayleigh-like optical depth on 81 wavelengths x 20 emission
altitudes, CORSIKA's US-standard 5-layer parameters), site North. The software
versions in its manifest are fixed (exchange_fixtures.SAMPLE_SOFTWARE) so that
the files do not change with the virtual environment; a test checks that this
script reproduces the committed files byte for byte.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # tests/

import exchange_fixtures  # noqa: E402

from calibpipe_tasks.io.simpipe import write_exchange_set  # noqa: E402


def make(directory=HERE):
    profile, extinction, fit, info = exchange_fixtures.sample_inputs()
    return write_exchange_set(
        directory, profile, extinction, fit, info, software=exchange_fixtures.SAMPLE_SOFTWARE
    )


if __name__ == "__main__":
    for name in make().values():
        print(HERE / name)
