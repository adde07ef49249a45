"""Start-up cost of a step in the image: ``process-muons`` with and without the numba cache.

    .venv/bin/python bench/bench_containers.py [--repeat 3]

Runs ``process-muons`` on the sample run ``tests/data/muon/run201.dl1.h5`` (30 events) four
ways, side by side: (a) from the venv on the host, (b) in the step image as built (ctapipe's
numba functions compiled into the image's cache at build time), (b') the same with the
container's root read-only, as ``cwltool --podman``, Toil and Singularity start it (numba
refuses a read-only cache; the image's start-up hook copies it to /tmp), (c) in the same image
with ``NUMBA_CACHE_DIR`` pointed at an empty directory, i.e. what every container start cost
before the image carried the cache, and what a read-only start cost before the hook. Wall
time per run (median of ``--repeat``), and the ratios to (a). Needs podman and the image
(``make images``). The numbers depend on the machine's load (printed with them).
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "muon"
ARGS = ["--input", "run201.dl1.h5", "--pedestal", "0.56", "--log-level", "ERROR"]


def image_tag():
    cmd = [str(ROOT / "containers" / "build.sh"), "--tag"]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()


def podman_env():
    env = os.environ.copy()
    env["PATH"] = f"{ROOT / 'containers' / 'podman-wrapper'}{os.pathsep}{env['PATH']}"
    env.setdefault("CONTAINERS_CONF", str(ROOT / "containers" / "containers.conf"))
    return env


def timed(cmd, env=None, cwd=None):
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{result.stderr[-2000:]}")
    return elapsed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    env, tag = podman_env(), image_tag()
    if (
        not shutil.which("podman")
        or subprocess.run(["podman", "image", "exists", tag], env=env).returncode
    ):
        print(f"skipped: no podman or no image {tag} (make images)")
        return 0
    venv_step = [str(Path(sys.executable).parent / "calibpipe-tasks"), "process-muons"]
    times = {
        "venv": [],
        "image": [],
        "image, read-only root (as CWL runners start it)": [],
        "image, empty numba cache": [],
    }
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as out:
            times["venv"].append(timed([*venv_step, *ARGS, "--output-dir", out], cwd=SAMPLE))
        for label, extra in (
            ("image", []),
            ("image, read-only root (as CWL runners start it)", ["--read-only=true"]),
            ("image, empty numba cache", ["-e", "NUMBA_CACHE_DIR=/tmp/empty"]),
        ):
            with tempfile.TemporaryDirectory() as out:
                cmd = ["podman", "run", "--rm", "--network", "none", *extra]
                cmd += ["-v", f"{SAMPLE}:/data:ro", "-v", f"{out}:/work", "-w", "/data", tag]
                cmd += ["calibpipe-tasks", "process-muons", *ARGS, "--output-dir", "/work"]
                times[label].append(timed(cmd, env=env))
    base = statistics.median(times["venv"])
    print(f"load average: {os.getloadavg()[0]:.1f}; {args.repeat} runs each; image {tag}")
    print("| process-muons on run201 (30 events) | median wall [s] | runs [s] | / venv |")
    print("|---|---|---|---|")
    for label, values in times.items():
        median = statistics.median(values)
        runs = ", ".join(f"{v:.1f}" for v in values)
        print(f"| {label} | {median:.1f} | {runs} | {median / base:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
