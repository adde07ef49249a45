"""Benchmark of ``array-pair-stats`` on a night-sized DL2 file (the "Array calibration" figures).

    .venv/bin/python bench/bench_array.py [--showers 1300000] [--keep]

Writes a synthetic DL2 file (``tests/array/dl2_synthetic.py``) of 64 telescopes
(4 LST-, 25 MST-, 35 SST-like) with >= 2 M telescope events, then runs
``calibpipe-tasks array-pair-stats`` on it as a separate process and reports
telescope events per second of wall time and per second of CPU time of that process
(whole step: start-up, imports, read, statistics, write; the CPU figure does not depend
on the load of a shared machine) and its peak resident memory (``ru_maxrss`` of that
child, ``os.wait4``), and the accuracy of the inter- and cross-calibration made from
the result against the injected throughputs.

ctao-calibpipe 0.8.0's asymmetry tool is not run side by side here (not done: see
BENCHMARKS.md). Prints a Markdown table and a JSON line; the numbers depend on the
machine's load.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "array"))
BIN = Path(sys.executable).parent
WORK = Path(tempfile.gettempdir()) / "calibpipe-tasks-bench-array"


def run_measured(cmd, env):
    """Run ``cmd``; its own resource usage (``os.wait4``: CPU times, peak RSS of that child)."""
    proc = subprocess.Popen(cmd, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    return usage


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--showers", type=int, default=1300000)
    parser.add_argument("--keep", action="store_true", help="keep the DL2 file for a re-run")
    args = parser.parse_args(argv)

    from astropy.table import Table
    from dl2_synthetic import DL2Spec, realistic_layout, write_dl2

    WORK.mkdir(exist_ok=True)
    dl2 = WORK / f"night_{args.showers}.dl2.h5"
    layout = realistic_layout(4, 25, 35)
    spec = DL2Spec(
        obs_id=1,
        n_showers=args.showers,
        seed=1,
        layout=layout,
        core_radius_m=900.0,
        duration_s=8 * 3600.0,
    )
    t0 = time.perf_counter()
    if not dl2.exists():
        write_dl2(dl2, spec)
    t_gen = time.perf_counter() - t0
    truth_spec = spec  # the truth is a function of the spec
    from dl2_synthetic import DL2Truth, default_throughputs

    thr = default_throughputs(layout)
    truth = DL2Truth(thr, {t: layout[t][0] for t in layout})
    del truth_spec

    import tables

    with tables.open_file(str(dl2)) as h5:
        n_tel_events = int(h5.root.dl1.event.subarray.trigger.col("tels_with_trigger").sum())
        n_events = h5.root.dl1.event.subarray.trigger.nrows
    out = WORK / "out"
    out.mkdir(exist_ok=True)
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    t0 = time.perf_counter()
    ru = run_measured(
        [
            str(BIN / "calibpipe-tasks"),
            "array-pair-stats",
            "--input",
            str(dl2),
            "--output-dir",
            str(out),
            "--log-level",
            "WARNING",
        ],
        env,
    )
    wall = time.perf_counter() - t0
    cpu = ru.ru_utime + ru.ru_stime
    peak_mib = ru.ru_maxrss / 1024
    # the start-up alone: the libraries the step imports (no ctapipe any more)
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "import tables, scipy.sparse, astropy.table, astropy.time"],
        check=True,
    )
    startup = time.perf_counter() - t0

    for step, extra in (
        ("array-inter-calibration", []),
        (
            "array-cross-calibration",
            ["--inter-calibration", str(out / "array_inter_calibration.ecsv")],
        ),
    ):
        subprocess.run(
            [
                str(BIN / "calibpipe-tasks"),
                step,
                "--input",
                str(out / "array_pair_stats.h5"),
                *extra,
                "--output-dir",
                str(out),
                "--log-level",
                "WARNING",
            ],
            check=True,
            env=env,
        )
    inter = Table.read(out / "array_inter_calibration.ecsv")
    cross = Table.read(out / "array_cross_calibration.ecsv")
    tr_i = truth.inter()
    tr_a = truth.absolute("LST")
    ok_i = inter["status"] == "ok"
    ok_c = cross["status"] == "ok"
    res_i = np.asarray(inter["ln_coefficient"][ok_i]) - np.log(
        [tr_i[t] for t in inter["tel_id"][ok_i]]
    )
    pull_i = res_i / np.asarray(inter["ln_coefficient_err"][ok_i])
    res_c = np.asarray(cross["ln_coefficient"][ok_c]) - np.log(
        [tr_a[t] for t in cross["tel_id"][ok_c]]
    )
    pull_c = res_c / np.asarray(cross["ln_coefficient_err"][ok_c])
    result = {
        "telescopes": len(layout),
        "events": n_events,
        "telescope_events": n_tel_events,
        "file_MiB": round(dl2.stat().st_size / 2**20, 1),
        "generate_s": round(t_gen, 1),
        "pair_stats_wall_s": round(wall, 2),
        "startup_s": round(startup, 2),
        "tel_events_per_s": round(n_tel_events / wall),
        "tel_events_per_s_without_startup": round(n_tel_events / max(wall - startup, 1e-9)),
        "pair_stats_cpu_s": round(cpu, 2),
        "tel_events_per_cpu_s": round(n_tel_events / cpu),
        "peak_rss_MiB": round(peak_mib, 1),
        "inter_ok": int(ok_i.sum()),
        "inter_mean_abs_residual_pct": round(100 * float(np.mean(np.abs(res_i))), 3),
        "inter_pull_std": round(float(np.std(pull_i)), 2),
        "cross_ok": int(ok_c.sum()),
        "cross_mean_residual_pct": round(100 * float(np.mean(res_c)), 3),
        "cross_pull_std": round(float(np.std(pull_c)), 2),
        "load": [round(x, 1) for x in os.getloadavg()],
    }
    print("| quantity | value |\n|---|---|")
    for k, v in result.items():
        print(f"| {k} | {v} |")
    print(json.dumps(result, default=float))
    if not args.keep:
        dl2.unlink()


if __name__ == "__main__":
    main()
