"""Benchmark of a molecular-atmosphere campaign: nights per hour on this machine.

For each input format (ERA5 netCDF in the new CDS layout, ERA5 GRIB edition 1), N consecutive
nights of generated hourly ERA5 data at CTAO-North (one file per night, 3 x 3 points, 37
levels: tests/data/generate_meteo_samples.py ``write_campaign_job``) are processed

* by the campaign workflow (``cwl/workflows/molecular-atmosphere-campaign.cwl``) under Toil,
  through ``python -m calibpipe_tasks.campaign_runner`` (``make campaign``), with the batch
  systems asked for (``single_machine``; ``slurm`` when a cluster answers, ``make slurm-up``);
* and, side by side in the same run, as the single-night workflow
  (``cwl/workflows/molecular-atmosphere.cwl`` without upload or plots) run by cwltool night
  after night: what an operator without the campaign workflow does.

Reported: wall time, nights per hour (nights delivered / wall time), the mean of the nights'
summed step run times (from their provenance records: the work a night costs, without the
engine) and the ratio of the campaign's nights/hour to the night-by-night baseline.

Usage: ``.venv/bin/python bench/bench_campaign.py [--nights 8] [--formats netcdf grib]
[--batch-systems single_machine slurm] [--workdir DIR]``. Prints a Markdown table.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "data"))

from generate_meteo_samples import write_campaign_job  # noqa: E402

from calibpipe_tasks.campaign_runner import night_times  # noqa: E402

BIN = Path(sys.executable).parent
SINGLE_NIGHT = ROOT / "cwl" / "workflows" / "molecular-atmosphere.cwl"


def slurm_env():
    env = os.environ.copy()
    env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
    conf = Path(os.environ.get("CALIBPIPE_SLURM_DIR", "/var/tmp/calibpipe-slurm")) / "slurm.conf"
    if "SLURM_CONF" not in env and conf.exists():
        env["SLURM_CONF"] = str(conf)
    if shutil.which("scontrol") is None:
        return None
    ping = subprocess.run(["scontrol", "ping"], capture_output=True, text=True, env=env)
    return env if " UP" in ping.stdout else None


def run_campaign(job, out, batch_system, env):
    cmd = [sys.executable, "-m", "calibpipe_tasks.campaign_runner", str(job)]
    cmd += ["--outdir", str(out), "--batch-system", batch_system]
    t0 = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=out.parent)
    wall = time.perf_counter() - t0
    if result.returncode != 0:
        raise SystemExit(f"campaign run failed:\n{result.stdout[-3000:]}")
    index = json.loads((out / "campaign_index.json").read_text())
    steps = [
        night_times(out / n["directory"])[0] for n in index["nights"] if n["status"] == "delivered"
    ]
    return wall, index["n_delivered"], sum(steps) / len(steps)


def run_night_by_night(job, out, env):
    """cwltool on the single-night workflow, one night after the other."""
    spec = json.loads(Path(job).read_text())
    t0 = time.perf_counter()
    for date in spec["dates"]:
        night_job = out / f"{date}.json"
        night = {k: spec[k] for k in ("meteo_files", "site", "co2_file")}
        night.update(date=date, until=date, upload=False, plots=False)
        night_job.write_text(json.dumps(night))
        night_out = out / date
        cmd = ["cwltool", "--quiet", "--no-container", "--outdir", str(night_out)]
        cmd += [str(SINGLE_NIGHT), str(night_job)]
        result = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=out)
        if result.returncode != 0:
            raise SystemExit(f"cwltool failed for {date}:\n{result.stderr[-3000:]}")
    wall = time.perf_counter() - t0
    # the single-night workflow does not output its steps' provenance records: no step time
    return wall, len(spec["dates"]), None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nights", type=int, default=8)
    parser.add_argument("--formats", nargs="+", default=["netcdf", "grib"])
    parser.add_argument("--batch-systems", nargs="+", default=["single_machine", "slurm"])
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-campaign-"))
    env = os.environ.copy()
    env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
    slurm = slurm_env() if "slurm" in args.batch_systems else None
    rows = []
    for fmt in args.formats:
        base = workdir / fmt
        job = write_campaign_job(base, "2024-01-10", args.nights, missing=(), fmt=fmt)
        (base / "night-by-night").mkdir(exist_ok=True)
        wall, n, step = run_night_by_night(job, base / "night-by-night", env)
        baseline = n / (wall / 3600)
        rows.append((fmt, "cwltool, night by night", n, wall, baseline, step, 1.0))
        for system in args.batch_systems:
            if system == "slurm" and slurm is None:
                print("slurm: no cluster answers (make slurm-up): not measured", file=sys.stderr)
                continue
            out = base / f"campaign-{system}"
            wall, n, step = run_campaign(job, out, system, slurm if system == "slurm" else env)
            rate = n / (wall / 3600)
            rows.append((fmt, f"campaign, Toil {system}", n, wall, rate, step, rate / baseline))
    print("| input | run | nights | wall [s] | nights/hour | step time per night [s] | ratio |")
    print("|---|---|---|---|---|---|---|")
    for fmt, how, n, wall, rate, step, ratio in rows:
        step_text = "-" if step is None else f"{step:.1f}"
        print(f"| {fmt} | {how} | {n} | {wall:.0f} | {rate:.0f} | {step_text} | {ratio:.2f} |")
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
