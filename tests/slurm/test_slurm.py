"""Toil on a real Slurm cluster: the products are the single-machine run's, byte for byte.

The cluster is the one-node Slurm of ``tests/slurm/start_slurm.sh`` (``make slurm-up``;
``.ci/run`` starts it under CI). The muon-calibration workflow runs under
``toil-cwl-runner --batchSystem slurm --no-container``, the molecular-atmosphere workflow with
``--podman`` (every step in the step image, started by its batch job) and a campaign of eight
nights through the campaign runner, with the job store and work directory on local disk; the
products are compared with the suite's cwltool reference run of the same job (``reference``
fixture), and Slurm's job completion log (``JobCompType=jobcomp/filetxt``) must list a
completed batch job, submitted from the run's directory, for each CWL tool step.

Without a running cluster the stage is skipped with the command that starts one; under CI
(``CI=true``) that is a failure.
"""

import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from campaign_chain import single_night_chain
from conftest import CWL_DIR, DATA, ROOT, in_ci
from cwl_engines import cwl_for, load_cwl, product_files, same_product
from podman_fixture import podman_environment

pytestmark = [pytest.mark.slurm, pytest.mark.engines]

START = ROOT / "tests" / "slurm" / "start_slurm.sh"
DEFAULT_CONF = (
    Path(os.environ.get("CALIBPIPE_SLURM_DIR", "/var/tmp/calibpipe-slurm")) / "slurm.conf"
)
#: run on Slurm from the venv; the molecular-atmosphere workflow runs there in containers
#: (test_workflow_in_containers_on_slurm) and its steps from the venv in the campaign test
WORKFLOWS = ["muon-calibration"]


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


def toil_on_slurm(workflow, job, tmp_path, outdir, container="--no-container"):
    """``toil-cwl-runner --batchSystem slurm`` of ``workflow`` on ``job`` (README's recipe)."""
    return [
        "toil-cwl-runner",
        "--batchSystem",
        "slurm",
        container,
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


@pytest.mark.parametrize("stem", WORKFLOWS)
def test_workflow_on_slurm_matches_single_machine(stem, slurm_env, reference, tmp_path):
    """Toil's Slurm batch system gives the cwltool reference run's products."""
    workflow, job = cwl_for(CWL_DIR / "jobs" / f"{stem}.yml"), CWL_DIR / "jobs" / f"{stem}.yml"
    outdir = tmp_path / "out"
    cmd = toil_on_slurm(workflow, job, tmp_path, outdir)
    result = subprocess.run(
        cmd, capture_output=True, text=True, env=slurm_env, cwd=tmp_path, timeout=600
    )
    assert result.returncode == 0, f"toil --batchSystem slurm failed:\n{result.stderr[-4000:]}"

    files = product_files(reference.outdir(stem))
    assert files, "the reference run produced no product"
    assert product_files(outdir) == files
    for rel in files:
        assert same_product(reference.outdir(stem) / rel, outdir / rel), f"{rel} differs"

    assert_steps_ran_on_slurm(slurm_env, tmp_path, reference, stem, workflow)


def assert_steps_ran_on_slurm(slurm_env, workdir, reference, stem, workflow):
    """Every step the job runs went through sbatch and completed there (conditional steps
    whose `when` is false for this job, e.g. the FRAM steps without fram_files, run nowhere:
    the reference run says which ran)."""
    jobs = completed_jobs(slurm_env["CALIBPIPE_TEST_JOBCOMP"], workdir)
    assert jobs, "no Slurm job was submitted from this run's directory"
    assert {j["JobState"] for j in jobs} == {"COMPLETED"}, f"Slurm jobs of this run: {jobs}"
    ran = {run.tool.stem for run in reference.cwl_jobs(stem)}
    assert ran and ran <= step_tools(workflow)
    assert {tool_of(j["Name"]) for j in jobs} == ran


@pytest.mark.containers
def test_workflow_in_containers_on_slurm(slurm_env, image, image_python, reference, tmp_path):
    """Toil on Slurm with every step in the step image (``--podman``): each batch job starts
    its step's container on the node. The products are the reference run's: byte for byte,
    except the records that name the software stack (the image has its own Python), which
    are compared without it and must name the image's Python."""
    stem = "molecular-atmosphere"
    workflow, job = cwl_for(CWL_DIR / "jobs" / f"{stem}.yml"), CWL_DIR / "jobs" / f"{stem}.yml"
    outdir = tmp_path / "out"
    env = podman_environment(slurm_env)
    cmd = toil_on_slurm(workflow, job, tmp_path, outdir, container="--podman")
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=900)
    assert result.returncode == 0, (
        f"toil --batchSystem slurm --podman failed:\n{result.stderr[-4000:]}"
    )

    files = product_files(reference.outdir(stem))
    assert product_files(outdir) == files
    for rel in files:
        expected, got = reference.outdir(stem) / rel, outdir / rel
        assert same_product(expected, got, across_software=True), f"{rel} differs"
    manifests = [
        outdir / rel
        for rel in files
        if rel.name.startswith("atmosphere_exchange_") and rel.suffix == ".json"
    ]
    assert manifests, files
    for manifest in manifests:
        software = json.loads(manifest.read_text())["software"]
        assert software["python"] == image_python, (manifest.name, software)
    assert_steps_ran_on_slurm(slurm_env, tmp_path, reference, stem, workflow)


CAMPAIGN_NIGHTS = 8
CAMPAIGN_MISSING = ("2024-01-13",)


def campaign_job(tmp_path):
    """A job of molecular-atmosphere-campaign.cwl: 8 generated ERA5 nights, one without data."""
    sys.path.insert(0, str(DATA))
    from generate_meteo_samples import write_campaign_job

    return write_campaign_job(tmp_path, "2024-01-10", CAMPAIGN_NIGHTS, CAMPAIGN_MISSING)


def test_campaign_of_eight_nights_on_slurm(slurm_env, tmp_path):
    """``make campaign BATCH_SYSTEM=slurm`` (the campaign runner): seven nights delivered through
    sbatch with progress per night, the night without data failed alone, and a night's set
    byte for byte what its steps give run one by one on this machine."""
    job = campaign_job(tmp_path)
    outdir, workdir = tmp_path / "out", tmp_path / "work"
    runner = [sys.executable, "-m", "calibpipe_tasks.campaign_runner", str(job)]
    runner += ["--outdir", str(outdir), "--workdir", str(workdir), "--batch-system", "slurm"]
    result = subprocess.run(
        runner, capture_output=True, text=True, env=slurm_env, cwd=tmp_path, timeout=900
    )
    assert result.returncode == 0, f"campaign on slurm failed:\n{result.stdout[-3000:]}"
    scheduled = CAMPAIGN_NIGHTS - len(CAMPAIGN_MISSING)
    assert f"plan: {scheduled} nights scheduled, 1 without data" in result.stdout
    assert result.stdout.count(": 6/6 steps (done)") == scheduled
    assert f"{scheduled} of {CAMPAIGN_NIGHTS} nights delivered, 1 failed" in result.stdout
    assert re.search(r"^2024-01-13  failed .* no meteorological data", result.stdout, re.M)

    index = json.loads((outdir / "campaign_index.json").read_text())
    status = {n["date"]: n["status"] for n in index["nights"]}
    assert len(status) == CAMPAIGN_NIGHTS
    assert [d for d, s in status.items() if s == "failed"] == list(CAMPAIGN_MISSING)
    (failed,) = [n for n in index["nights"] if n["status"] == "failed"]
    assert failed["reason"].startswith("no meteorological data in the night's window")
    for night in index["nights"]:
        if night["status"] == "delivered":
            assert (outdir / night["directory"] / night["manifest"]["name"]).exists()

    # the first night is what its steps give run one by one (the single-machine chain)
    first = next(n for n in index["nights"] if n["status"] == "delivered")
    chain = tmp_path / "chain"
    chain.mkdir()
    meteo = [Path(f["path"]) for f in json.loads(job.read_text())["meteo_files"]]
    manifest = single_night_chain(chain, meteo, first["date"])
    delivered = outdir / first["directory"]
    for name in [manifest.name] + [f["name"] for f in json.loads(manifest.read_text())["files"]]:
        assert filecmp.cmp(delivered / name, chain / name, shallow=False), name

    # one Slurm job per step run: the plan, 6 steps for each of the 7 nights, the index
    jobs = completed_jobs(slurm_env["CALIBPIPE_TEST_JOBCOMP"], workdir)
    assert {j["JobState"] for j in jobs} == {"COMPLETED"}, f"Slurm jobs of this run: {jobs}"
    tools = [tool_of(j["Name"]) for j in jobs]
    assert tools.count("plan-campaign") == 1 and tools.count("index-campaign") == 1
    for tool in ("ingest-meteo", "create-mdp", "create-atmospheric-model", "validate-exchange"):
        assert tools.count(tool) == scheduled, (tool, tools)
