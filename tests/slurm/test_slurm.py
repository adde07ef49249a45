"""Toil on a real Slurm cluster: the products are the single-machine run's, byte for byte.

The cluster is the one-node Slurm of ``tests/slurm/start_slurm.sh`` (``make slurm-up``;
``.ci/run`` starts it under CI). Each workflow runs under
``toil-cwl-runner --batchSystem slurm --no-container`` with the job store and work directory on
local disk; its products are compared with the suite's cwltool reference run of the same job
(``reference`` fixture), and Slurm's job completion log (``JobCompType=jobcomp/filetxt``) must
list a completed batch job, submitted from the run's directory, for each CWL tool step.

Without a running cluster the stage is skipped with the command that starts one; under CI
(``CI=true``) that is a failure.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import CWL_DIR, ROOT, in_ci
from cwl_engines import cwl_for, load_cwl, product_files, same_product

pytestmark = [pytest.mark.slurm, pytest.mark.engines]

START = ROOT / "tests" / "slurm" / "start_slurm.sh"
DEFAULT_CONF = (
    Path(os.environ.get("CALIBPIPE_SLURM_DIR", "/var/tmp/calibpipe-slurm")) / "slurm.conf"
)
WORKFLOWS = ["molecular-atmosphere", "muon-calibration"]


def unavailable(message):
    if in_ci():
        pytest.fail(f"Slurm stage must run under CI: {message}")
    pytest.skip(f"Slurm stage skipped: {message} (start a cluster with `make slurm-up`)")


def slurm_config(env):
    """``scontrol show config`` as a dict (keys as Slurm prints them)."""
    result = subprocess.run(
        ["scontrol", "show", "config"], capture_output=True, text=True, env=env, timeout=30
    )
    if result.returncode != 0:
        return None
    config = {}
    for line in result.stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            config[key.strip()] = value.strip()
    return config


@pytest.fixture(scope="module")
def slurm_env():
    """Environment whose Slurm commands reach a cluster with a job completion log."""
    if shutil.which("sbatch") is None:
        unavailable("no Slurm client commands (Debian package slurm-wlm)")
    env = os.environ.copy()
    if "SLURM_CONF" not in env and DEFAULT_CONF.exists():
        env["SLURM_CONF"] = str(DEFAULT_CONF)
    ping = subprocess.run(["scontrol", "ping"], capture_output=True, text=True, env=env)
    if ping.returncode != 0 or " UP" not in ping.stdout:
        unavailable(f"no slurmctld answers ({(ping.stdout + ping.stderr).strip()[:200]})")
    config = slurm_config(env)
    if not config or config.get("JobCompType") != "jobcomp/filetxt":
        unavailable(
            f"the cluster keeps no job completion log (JobCompType=jobcomp/filetxt): {START}"
        )
    nodes = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, env=env)
    if not re.search(r"^(idle|mix|alloc)", nodes.stdout, re.M):
        unavailable(f"no Slurm node is up (sinfo: {nodes.stdout.strip()!r})")
    env["CALIBPIPE_TEST_JOBCOMP"] = config["JobCompLoc"]
    return env


def completed_jobs(jobcomp, workdir):
    """Records ``{field: value}`` of the job completion log for jobs submitted from ``workdir``."""
    path = Path(jobcomp)
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        fields = dict(re.findall(r"(\w+)=(\S*)", line))
        if fields.get("WorkDir") == str(workdir):
            records.append(fields)
    return records


def step_tools(workflow):
    """Basenames (without .cwl) of the tools the workflow's steps run."""
    doc = load_cwl(workflow)
    return {Path(step["run"]).stem for step in doc["steps"].values()}


def tool_of(slurm_job_name):
    """The tool of a Toil batch job ``toil_job_<n>_<workflow>.cwl.<step>.<tool>.cwl``."""
    m = re.search(r"\.([\w-]+)\.cwl$", slurm_job_name)
    return m[1] if m else None


@pytest.mark.parametrize("stem", WORKFLOWS)
def test_workflow_on_slurm_matches_single_machine(stem, slurm_env, reference, tmp_path):
    """Toil's Slurm batch system gives the cwltool reference run's products."""
    workflow, job = cwl_for(CWL_DIR / "jobs" / f"{stem}.yml"), CWL_DIR / "jobs" / f"{stem}.yml"
    outdir = tmp_path / "out"
    cmd = [
        "toil-cwl-runner",
        "--batchSystem",
        "slurm",
        "--no-container",
        # one Slurm job per CWL job (Toil otherwise runs a follower in its parent's batch job)
        "--disableChaining",
        "true",
        "--logLevel",
        "ERROR",
        "--jobStore",
        f"file:{tmp_path / 'jobstore'}",
        "--workDir",
        str(tmp_path),
        "--outdir",
        str(outdir),
        "--defaultMemory",
        "1Gi",
        "--defaultDisk",
        "1Gi",
        "--statePollingWait",
        "1",
        str(workflow),
        str(job),
    ]
    result = subprocess.run(
        cmd, capture_output=True, text=True, env=slurm_env, cwd=tmp_path, timeout=600
    )
    assert result.returncode == 0, f"toil --batchSystem slurm failed:\n{result.stderr[-4000:]}"

    files = product_files(reference.outdir(stem))
    assert files, "the reference run produced no product"
    assert product_files(outdir) == files
    for rel in files:
        assert same_product(reference.outdir(stem) / rel, outdir / rel), f"{rel} differs"

    # every step the job runs (conditional steps whose `when` is false for this job, e.g. the
    # FRAM steps without fram_files, run nowhere: the reference run says which ran) went
    # through sbatch and completed there
    jobs = completed_jobs(slurm_env["CALIBPIPE_TEST_JOBCOMP"], tmp_path)
    assert jobs, "no Slurm job was submitted from this run's directory"
    assert {j["JobState"] for j in jobs} == {"COMPLETED"}, f"Slurm jobs of this run: {jobs}"
    ran = {run.tool.stem for run in reference.cwl_jobs(stem)}
    assert ran and ran <= step_tools(workflow)
    assert {tool_of(j["Name"]) for j in jobs} == ran
