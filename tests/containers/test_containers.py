"""Every CWL job of the collection runs in the step image with the reference run's products.

Each workflow job of ``cwl/jobs/``, and each tool job whose tool is not an unconditional step of
one of them, runs under ``cwltool --podman`` (every step in the image, one test per job, so
that the pytest-xdist workers share them; a test checks that every tool of the collection and
every step of a job left out runs in the image in one of them) and its products are
compared with the suite's ``cwltool --no-container`` reference run on this machine
(``reference`` fixture): byte for byte; SQLite databases by their rows; the HDF5 files of
ctapipe's own tools by every node, attribute and value except their random activity id and
creation time; and the records that name the software stack (exchange manifests, campaign
indices, databases holding them) without that record, which differs by design (the image has
its own Python). A tool's own provenance record must name the image's Python: the step
really ran there. Tools that need the network (``NetworkAccess``: the ``fetch-*`` jobs) run
their containers on the host's network (``--custom-net=host``), so that they reach the local
stand-ins of the services on 127.0.0.1; every other step runs with ``--net=none``.

Toil with the steps in containers is the Slurm stage's (tests/slurm: the molecular-atmosphere
workflow under ``--batchSystem slurm --podman``); a tool's container is started by cwltool's
job runner under both engines, and Toil's own scheduling (scatter, gather) is checked against
the reference run without containers (tests/cwl/test_engines.py).

The stage runs where podman can be had (tests/podman_fixture.py: installed here by
containers/setup-host.sh when root with apt) and is skipped with a clear message elsewhere;
under CI (``CI=true``) a missing podman is a failure. The image is built once by
containers/build.sh (cached; started in the background at the start of the session,
tests/podman_fixture.py).
"""

import filecmp
import json
import subprocess
from pathlib import Path

import pytest
from conftest import DATA, ROOT
from cwl_engines import (
    JOBS,
    cwl_for,
    differing_products,
    load_cwl,
    needs_network,
    run_engine,
)
from fake_services_fixture import fake_services  # noqa: F401 (fixture)
from make_conformance import SOFTWARE_TAG, conformance_entries, expected_files
from podman_fixture import CONTAINERS

from calibpipe_tasks import __version__
from calibpipe_tasks.steps import STEP_MODULES

pytestmark = pytest.mark.containers

TOOLS = sorted((ROOT / "cwl" / "tools").glob("*.cwl"))

#: workflow jobs not run in the image here, and why: each of their steps runs there elsewhere
LEFT_OUT = {
    # its steps are the molecular-atmosphere workflow's plus plan-/index-campaign
    "molecular-atmosphere-campaign": "steps of molecular-atmosphere-fram and tool jobs",
    # the same workflow as molecular-atmosphere-fram without its FRAM steps; in the image
    # under Toil on Slurm (tests/slurm)
    "molecular-atmosphere": "steps of molecular-atmosphere-fram; on Slurm with --podman",
    # its steps are a subset of camera-calibration-spe's
    "camera-calibration": "steps of camera-calibration-spe",
}


def _unconditional_step_tools(workflow_job):
    """The tools a workflow job's steps run whatever its inputs (steps without ``when``)."""
    workflow = cwl_for(workflow_job)
    steps = load_cwl(workflow)["steps"]
    steps = steps.values() if isinstance(steps, dict) else steps
    return {(workflow.parent / s["run"]).resolve() for s in steps if "when" not in s}


_WORKFLOW_JOBS = [
    j for j in JOBS if j.stem not in LEFT_OUT and load_cwl(cwl_for(j))["class"] == "Workflow"
]
#: tools that run in the image as steps of a workflow job of this stage: their own tool jobs
#: are not run again here (the venv runs them, tests/cwl)
_IN_A_WORKFLOW = set().union(*map(_unconditional_step_tools, _WORKFLOW_JOBS))
CONTAINER_JOBS = _WORKFLOW_JOBS + [
    j
    for j in JOBS
    if load_cwl(cwl_for(j))["class"] == "CommandLineTool"
    and cwl_for(j).resolve() not in _IN_A_WORKFLOW
]


def _compared_without_software(job):
    """Jobs with JSON records of the software stack, and tool jobs with SQLite products."""
    entry = conformance_entries()[job.stem]
    names = [f["basename"] for value in entry["output"].values() for f in expected_files(value)]
    is_tool = load_cwl(cwl_for(job))["class"] == "CommandLineTool"
    return SOFTWARE_TAG in entry["tags"] or (is_tool and any(n.endswith(".sqlite") for n in names))


def _recorded_python(record):
    """The Python version a tool's provenance record names (ours, or ctapipe's own list)."""
    doc = json.loads(record.read_text())
    if isinstance(doc, list):  # ctapipe's provenance: one activity per run of the tool
        return ".".join(doc[-1]["system"]["python"]["version"])
    return doc["software"]["python"]


def test_tool_hints_name_the_built_image():
    """Each tool's DockerRequirement names calibpipe-tasks:<version>, the tag make images builds."""
    tag = subprocess.run(
        [str(CONTAINERS / "build.sh"), "--tag"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert tag == f"calibpipe-tasks:{__version__}"
    for tool in TOOLS:
        assert load_cwl(tool)["hints"]["DockerRequirement"]["dockerPull"] == tag, tool.name


def test_left_out_jobs_have_every_step_in_the_image(reference):
    """Each tool a left-out job (a workflow of LEFT_OUT, or a tool job whose tool is a step of
    a workflow run here) ran in the reference run runs in the image in a job of this stage,
    and so does every tool of the collection."""

    def ran(stem):
        return {run.tool.resolve() for run in reference.cwl_jobs(stem)}

    in_image = set().union(*(ran(job.stem) for job in CONTAINER_JOBS))
    left_out = [job.stem for job in JOBS if job not in CONTAINER_JOBS]
    assert set(LEFT_OUT) <= set(left_out)
    for stem in left_out:
        assert ran(stem) and ran(stem) <= in_image, (stem, ran(stem) - in_image)
    assert {t.resolve() for t in TOOLS} <= in_image


@pytest.mark.slow
@pytest.mark.usefixtures("fake_services")  # for the fetch-* jobs
@pytest.mark.parametrize("job", CONTAINER_JOBS, ids=[j.stem for j in CONTAINER_JOBS])
def test_job_in_container_matches_the_reference_run(
    job, image, image_python, podman_env, reference, tmp_path
):
    cwl = cwl_for(job)
    outdir = tmp_path / "out"
    network = "host" if needs_network(cwl) else None
    outputs = run_engine(
        "cwltool", cwl, job, outdir, tmp_path, "podman", env=podman_env, network=network
    )
    assert outputs.keys() == reference.runs[job.stem].keys()
    differing = differing_products(
        reference.outdir(job.stem), outdir, across_software=_compared_without_software(job)
    )
    assert not differing, "\n".join(differing)
    # the step really ran inside the image: its own record (not copies it passes on, e.g.
    # records exported from a database) names the image's Python
    if load_cwl(cwl)["class"] == "CommandLineTool":
        assert _recorded_python(Path(outputs["provenance"]["path"])) == image_python


def test_image_lists_every_step(image, podman_env):
    cmd = ["podman", "run", "--rm", "--network", "none", image, "sh", "-c"]
    cmd.append(
        "calibpipe-tasks --help && for s in "
        + " ".join(STEP_MODULES)
        + '; do calibpipe-tasks "$s" --help >/dev/null || exit 1; done'
    )
    result = subprocess.run(cmd, capture_output=True, text=True, env=podman_env)
    assert result.returncode == 0, result.stderr[-2000:]
    for step in STEP_MODULES:
        assert step in result.stdout


def test_read_only_container_loads_the_numba_cache(image, podman_env):
    """CWL runners start the image read-only: ctapipe's functions still come from the cache
    built into it (a copy in /tmp), not compiled again at every start (20-35 s a step)."""
    cmd = ["podman", "run", "--rm", "--network", "none", "--read-only=true"]
    cmd += ["--env", "NUMBA_DEBUG_CACHE=1", image, "python3", "-c"]
    cmd.append("import os, ctapipe.image.extractor; print(os.environ['NUMBA_CACHE_DIR'])")
    result = subprocess.run(cmd, capture_output=True, text=True, env=podman_env)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[-1].startswith("/tmp/numba-cache-"), lines[-1]
    assert any(line.startswith("[cache] data loaded") for line in lines), result.stdout[-2000:]
    assert not [line for line in lines if line.startswith("[cache] data saved")]


def test_podman_run_one_step_as_a_user_would(image, image_python, podman_env, reference, tmp_path):
    """``podman run`` (or ``docker run``) of one step, inputs mounted read-only."""
    job = next(j for j in JOBS if j.stem == "compute-macobac")
    cmd = ["podman", "run", "--rm", "--network", "none", "-v", f"{DATA}:/data:ro"]
    cmd += ["-v", f"{tmp_path}:/work", "-w", "/work", image]
    cmd += ["calibpipe-tasks", "compute-macobac"]
    cmd += ["--co2-file", "/data/scripps_monthly_in_situ_co2_mlo.csv", "--until", "2023-06-30"]
    result = subprocess.run(cmd, capture_output=True, text=True, env=podman_env)
    assert result.returncode == 0, result.stderr[-2000:]
    expected = reference.outdir(job.stem) / "macobac.ecsv"
    assert filecmp.cmp(expected, tmp_path / "macobac.ecsv", shallow=False)
    record = json.loads((tmp_path / "compute-macobac.provenance.json").read_text())
    assert record["software"]["python"] == image_python  # it ran in the image


def test_bad_input_in_container_gives_exit_code_3(image, podman_env, tmp_path):
    """The documented exit codes survive the container (CWL permanentFailCodes rely on them)."""
    (tmp_path / "bad.csv").write_text("not a CO2 record\n")
    cmd = ["podman", "run", "--rm", "--network", "none", "-v", f"{tmp_path}:/work", "-w", "/work"]
    cmd += [image, "calibpipe-tasks", "compute-macobac", "--co2-file", "bad.csv"]
    result = subprocess.run(cmd, capture_output=True, text=True, env=podman_env)
    assert result.returncode == 3, result.stderr
    assert "bad.csv" in result.stderr and "Traceback" not in result.stderr
