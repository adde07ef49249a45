"""Run every benchmark of bench/ in turn (``make bench``); each writes its own figures.

The scripts install their reference tools (xarray/cfgrib, molecularprofiles, ctao-calibpipe)
on first use and print the numbers that BENCHMARKS.md records.
"""

import subprocess
import sys
from pathlib import Path

BENCHES = [
    "bench_ingest.py",
    "bench_atmosphere.py",
    "bench_muon.py",
    "bench_pointing.py",
    "bench_camera.py",
    "bench_array.py",
    "bench_db.py",
    "bench_clear_night.py",
    "bench_containers.py",
    "bench_campaign.py",
]


def main():
    here = Path(__file__).resolve().parent
    failed = []
    for name in BENCHES:
        print(f"=== {name}", flush=True)
        if subprocess.run([sys.executable, str(here / name)]).returncode != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
