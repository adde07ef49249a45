"""Run a molecular-atmosphere campaign with Toil, showing progress per night (``make campaign``).

    python -m calibpipe_tasks.campaign_runner JOB.yml --outdir DIR
        [--batch-system single_machine|slurm] [--workdir DIR] [--max-cores N]

Runs ``toil-cwl-runner`` on ``cwl/workflows/molecular-atmosphere-campaign.cwl`` with the
job file ``JOB.yml`` (dates, meteo_files, site, co2_file, ...). While it runs, Toil writes
the log of every finished step (``--writeLogs``, named by the scatter index of the night);
this runner reads them and prints a line per night and step as they complete. At the end it
prints a table per night: delivered or failed (with the reason), the steps run, their summed
run time and the span from the first step's start to the last one's end (from the
provenance records in the night's directory), and the campaign's nights per hour.

Not a step of the collection (no provenance of its own, no CWL tool): an operator's
front-end to the engine. Exit code: Toil's (0 when the workflow succeeded, also with failed
nights, which the table lists).
"""

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

WORKFLOW = Path(__file__).resolve().parents[2] / "cwl" / "workflows"
#: the per-night steps of the workflow, in their order
NIGHT_STEPS = (
    "ingest-meteo",
    "compute-macobac",
    "create-mdp",
    "select-reference-model",
    "create-atmospheric-model",
    "validate-exchange",
)
#: a finished step's log: <workflow>.cwl.<scatter index>.<tool>.cwl.stderr_<n>.log
#: (Toil doubles the dashes of the names in log file names)
_STEP_LOG = re.compile(r"\.cwl\.(?P<index>\d+)\.(?P<tool>[a-z-]+)\.cwl\.stderr_\d+\.log$")
_PLAN_LOG = re.compile(r"plan--campaign\.cwl\.stderr_\d+\.log$")
_PLAN_LINE = re.compile(
    r"night (?P<date>\d{4}-\d{2}-\d{2}): (?P<what>scheduled|no data)(?P<rest>.*)"
)


def parse_plan_log(text):
    """Scheduled dates (in scatter order) and the nights without data, from plan-campaign's log."""
    scheduled, no_data = [], {}
    for m in _PLAN_LINE.finditer(text):
        if m["what"] == "scheduled":
            scheduled.append(m["date"])
        else:
            no_data[m["date"]] = m["rest"].removeprefix(": ").strip()
    return scheduled, no_data


def finished_steps(log_dir):
    """``{scatter index: set of tools}`` of the night steps whose logs Toil has written."""
    done = {}
    for path in Path(log_dir).glob("*.log"):
        if m := _STEP_LOG.search(path.name):
            done.setdefault(int(m["index"]), set()).add(m["tool"].replace("--", "-"))
    return done


def night_times(directory):
    """(summed step seconds, span seconds) from the provenance records of a night directory."""
    from .atmosphere.campaign import step_times

    records = [json.loads(p.read_text()) for p in Path(directory).glob("*.provenance.json")]
    return step_times(records)


def summary_table(index, outdir, elapsed_s):
    """The per-night table printed at the end (a list of lines)."""
    lines = [f"{'night':<10}  {'status':<9}  {'steps':>5}  {'step s':>7}  {'span s':>7}  reason"]
    for night in index["nights"]:
        if night["status"] == "delivered":
            step_s, span_s = night_times(Path(outdir) / night["directory"])
            cells = (len(night["steps"]), f"{step_s:.1f}", f"{span_s:.1f}", "")
        else:
            cells = (0, "-", "-", night["reason"])
        lines.append(
            f"{night['date']:<10}  {night['status']:<9}  {cells[0]:>5}  {cells[1]:>7}  "
            f"{cells[2]:>7}  {cells[3]}"
        )
    rate = index["n_delivered"] / (elapsed_s / 3600.0) if elapsed_s > 0 else float("nan")
    lines.append(
        f"{index['n_delivered']} of {index['n_nights']} nights delivered, {index['n_failed']} "
        f"failed, in {elapsed_s:.0f} s ({rate:.0f} nights/hour)"
    )
    return lines


def toil_command(workflow, job, outdir, workdir, batch_system, max_cores=None):
    """The toil-cwl-runner command line of a campaign run."""
    cmd = [
        "toil-cwl-runner",
        "--batchSystem", batch_system,
        "--no-container",
        "--disableChaining", "true",  # one batch job (and one log) per step
        "--logLevel", "WARNING",
        "--writeLogs", str(workdir / "logs"),
        "--writeLogsFromAllJobs", "true",
        "--jobStore", f"file:{workdir / 'jobstore'}",
        "--workDir", str(workdir),
        "--outdir", str(outdir),
        "--statePollingWait", "1",
    ]  # fmt: skip
    if max_cores is not None:
        cmd += ["--maxCores", str(max_cores)]
    return cmd + [str(workflow), str(job)]


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m calibpipe_tasks.campaign_runner",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument("job", type=Path, help="job file of molecular-atmosphere-campaign.cwl")
    parser.add_argument("--outdir", type=Path, required=True, help="where the products go")
    parser.add_argument(
        "--workdir", type=Path, help="Toil's job store and logs (default OUTDIR.work)"
    )
    parser.add_argument("--batch-system", default="single_machine", help="Toil batch system")
    parser.add_argument("--max-cores", type=int, help="cores Toil may use (default all)")
    parser.add_argument(
        "--workflow",
        type=Path,
        default=WORKFLOW / "molecular-atmosphere-campaign.cwl",
        help="the campaign workflow (default: the repository's)",
    )
    args = parser.parse_args(argv)
    if not args.job.is_file():
        parser.exit(2, f"{parser.prog}: error: {args.job}: job file does not exist\n")
    workdir = (args.workdir or args.outdir.with_name(args.outdir.name + ".work")).resolve()
    if (workdir / "jobstore").exists():
        parser.exit(
            2,
            f"{parser.prog}: error: {workdir / 'jobstore'}: a job store exists (an unfinished "
            "run: remove it, or restart it with toil-cwl-runner --restart)\n",
        )
    (workdir / "logs").mkdir(parents=True, exist_ok=True)
    outdir = args.outdir.resolve()
    cmd = toil_command(
        args.workflow.resolve(),
        args.job.resolve(),
        outdir,
        workdir,
        args.batch_system,
        args.max_cores,
    )

    start = time.monotonic()
    with open(workdir / "toil.log", "w") as toil_log:
        toil = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=toil_log, cwd=workdir)
        scheduled, reported = None, {}
        while True:
            finished = toil.poll() is not None
            if scheduled is None:
                plans = [p for p in (workdir / "logs").glob("*.log") if _PLAN_LOG.search(p.name)]
                if plans:
                    scheduled, no_data = parse_plan_log(plans[0].read_text())
                    print(f"plan: {len(scheduled)} nights scheduled, {len(no_data)} without data")
                    for date, reason in no_data.items():
                        print(f"  {date}: no data ({reason})")
            if scheduled is not None:
                for i, tools in sorted(finished_steps(workdir / "logs").items()):
                    if i < len(scheduled) and len(tools) > reported.get(i, 0):
                        reported[i] = len(tools)
                        last = max(tools, key=NIGHT_STEPS.index)
                        state = "done" if len(tools) == len(NIGHT_STEPS) else last
                        print(f"  {scheduled[i]}: {len(tools)}/{len(NIGHT_STEPS)} steps ({state})")
            sys.stdout.flush()
            if finished:
                break
            time.sleep(2)
    elapsed = time.monotonic() - start
    index_path = outdir / "campaign_index.json"
    if toil.returncode != 0 or not index_path.exists():
        print(f"the campaign run failed (toil exit {toil.returncode}); log: {workdir / 'toil.log'}")
        return toil.returncode or 1
    print()
    print("\n".join(summary_table(json.loads(index_path.read_text()), outdir, elapsed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
