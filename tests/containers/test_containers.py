"""The conformance list passes with every step in the image, under cwltool and Toil.

``cwltest -- --podman`` runs every entry of tests/cwl/conformance_tests.yml in containers (the
tools under cwltool, the workflows under Toil) and
checks each product against the checksums of the ``--no-container`` reference run: the
products are byte-identical. Tools that need the network (``NetworkAccess``: the ``fetch-*``
jobs) run their containers on the host's network (``--custom-net=host``), so that they reach
the local stand-ins of the services on 127.0.0.1; every other step runs with ``--net=none``.
What the list expects by name only is compared here by content with a ``--no-container`` run:
SQLite databases (by their rows) and the JSON records of the software stack (without the keys
that name it: the image has its own Python).

The stage runs where podman can be had (tests/podman_fixture.py: installed here by
containers/setup-host.sh when root with apt) and is skipped with a clear message elsewhere; under
CI (``CI=true``) a missing podman is a failure. The image is built once by containers/build.sh.
"""

import filecmp
import json
import subprocess

import pytest
from conftest import DATA, ROOT
from cwl_engines import (
    ENGINES,
    JOBS,
    cwl_for,
    load_cwl,
    product_files,
    run_cwltest,
    run_engine,
    same_product,
)
from fake_services_fixture import fake_services  # noqa: F401 (fixture)
from make_conformance import SOFTWARE_TAG, conformance_entries, expected_files
from podman_fixture import CONTAINERS

from calibpipe_tasks import __version__
from calibpipe_tasks.steps import STEP_MODULES

pytestmark = pytest.mark.containers

TOOLS = sorted((ROOT / "cwl" / "tools").glob("*.cwl"))


def _compared_by_content(job):
    """Tool jobs with SQLite products, and jobs with JSON records of the software stack."""
    entry = conformance_entries()[job.stem]
    names = [f["basename"] for value in entry["output"].values() for f in expected_files(value)]
    is_tool = load_cwl(cwl_for(job))["class"] == "CommandLineTool"
    return SOFTWARE_TAG in entry["tags"] or (is_tool and any(n.endswith(".sqlite") for n in names))


CONTENT_JOBS = [j for j in JOBS if _compared_by_content(j)]


@pytest.fixture(scope="module")
def reference_products(reference):
    """Products of the suite's ``cwltool --no-container`` reference run, per job."""

    def get(job):
        return reference.outdir(job.stem)

    return get


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


@pytest.mark.slow
@pytest.mark.usefixtures("fake_services")  # the fetch-* entries run too
@pytest.mark.parametrize("engine", ENGINES)
def test_conformance_list_passes_in_containers(engine, image, podman_env, reference, tmp_path):
    """Every product the same byte for byte as the --no-container reference on this machine.

    Every entry runs in the image once: cwltool runs the tool entries (each tool's container
    on its own job), Toil the workflow entries (its own scheduling of containerised steps,
    scatter and gather). A tool's container is started by the same cwltool job runner under
    both engines, and both engines run every entry without containers
    (tests/cwl/test_conformance.py). Left out under Toil, each run in the image elsewhere:
    the campaign workflow (its steps are the molecular-atmosphere workflow's plus
    plan-/index-campaign, tool entries in the image under cwltool; Toil's scatter and gather
    of containerised steps are the muon and array workflows'), the molecular-atmosphere
    workflow (Toil with every step in the image on Slurm, tests/slurm) and camera-calibration
    (its steps are a subset of camera-calibration-spe's, which runs here).
    """
    if engine == "toil":
        left_out = ["molecular-atmosphere-campaign", "molecular-atmosphere", "camera-calibration"]
        selection = ("--tags", "workflow", "-S", ",".join(left_out))
    else:
        selection = ("--tags", "tool")
    result = run_cwltest(
        engine, reference.local_list, tmp_path, "-j", "2", "--timeout", "1800", *selection,
        engine_args=("--podman", "--custom-net=host"), env=podman_env,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "All tests passed" in result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("job", CONTENT_JOBS, ids=[j.stem for j in CONTENT_JOBS])
def test_job_in_container_matches_no_container(
    job, image, image_python, podman_env, reference_products, tmp_path
):
    """What the list expects by name only: the same content as a --no-container run."""
    outdir = tmp_path / "out"
    run_engine("cwltool", cwl_for(job), job, outdir, tmp_path, "podman", env=podman_env)
    expected = reference_products(job)
    files = product_files(expected)
    assert files, "the job produced no product"
    assert product_files(outdir) == files
    for rel in files:
        assert same_product(expected / rel, outdir / rel, across_software=True), f"{rel} differs"
    # the step really ran inside the image: its own record (not copies it passes on, e.g. records
    # exported from a database) names the image's Python; workflows need not output records
    if load_cwl(cwl_for(job))["class"] == "CommandLineTool":
        record = outdir / f"{job.stem}.provenance.json"
        assert record.exists(), "no provenance record"
        assert json.loads(record.read_text())["software"]["python"] == image_python


def test_content_jobs_cover_the_unchecksummed_products():
    names = {j.stem for j in CONTENT_JOBS}
    assert {"db-init", "db-upload", "create-atmospheric-model", "molecular-atmosphere"} <= names
    assert "compute-macobac" not in names and "muon-calibration" not in names


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


def test_podman_run_one_step_as_a_user_would(
    image, image_python, podman_env, reference_products, tmp_path
):
    """``podman run`` (or ``docker run``) of one step, inputs mounted read-only."""
    job = next(j for j in JOBS if j.stem == "compute-macobac")
    cmd = ["podman", "run", "--rm", "--network", "none", "-v", f"{DATA}:/data:ro"]
    cmd += ["-v", f"{tmp_path}:/work", "-w", "/work", image]
    cmd += ["calibpipe-tasks", "compute-macobac"]
    cmd += ["--co2-file", "/data/scripps_monthly_in_situ_co2_mlo.csv", "--until", "2023-06-30"]
    result = subprocess.run(cmd, capture_output=True, text=True, env=podman_env)
    assert result.returncode == 0, result.stderr[-2000:]
    expected = reference_products(job) / "macobac.ecsv"
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
