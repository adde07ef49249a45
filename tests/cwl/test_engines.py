"""Every job of cwl/jobs/ runs under cwltool and toil-cwl-runner with identical outputs."""

import filecmp
import json
import subprocess

import pytest
from conftest import CWL_DIR
from fake_services_fixture import fake_services_for_fetch_jobs  # noqa: F401 (fetch-* jobs)

JOBS = sorted((CWL_DIR / "jobs").glob("*.yml"))


def cwl_for(job):
    for kind in ("tools", "workflows"):
        path = CWL_DIR / kind / f"{job.stem}.cwl"
        if path.exists():
            return path
    raise FileNotFoundError(f"no CWL file for job {job.name}")


def run_engine(engine, cwl, job, outdir, tmp_path):
    if engine == "cwltool":
        cmd = ["cwltool", "--no-container", "--quiet", "--outdir", str(outdir)]
    else:
        cmd = [
            "toil-cwl-runner",
            "--no-container",
            "--logLevel",
            "ERROR",
            "--jobStore",
            f"file:{tmp_path / 'jobstore'}",
            "--workDir",
            str(tmp_path),
            "--outdir",
            str(outdir),
        ]
    result = subprocess.run([*cmd, str(cwl), str(job)], capture_output=True, text=True)
    assert result.returncode == 0, f"{engine} failed:\n{result.stderr[-4000:]}"
    return json.loads(result.stdout)


def product_files(outdir):
    return sorted(
        p.relative_to(outdir)
        for p in outdir.rglob("*")
        if p.is_file() and not p.name.endswith(".provenance.json")
    )


@pytest.mark.engines
@pytest.mark.parametrize("job", JOBS, ids=[j.stem for j in JOBS])
def test_job_identical_under_cwltool_and_toil(job, tmp_path):
    cwl = cwl_for(job)
    out_cwltool, out_toil = tmp_path / "cwltool", tmp_path / "toil"
    outputs_cwltool = run_engine("cwltool", cwl, job, out_cwltool, tmp_path)
    outputs_toil = run_engine("toil", cwl, job, out_toil, tmp_path)
    assert outputs_cwltool.keys() == outputs_toil.keys()
    files = product_files(out_cwltool)
    assert files, "the job produced no product"
    assert files == product_files(out_toil)
    for rel in files:
        assert filecmp.cmp(out_cwltool / rel, out_toil / rel, shallow=False), f"{rel} differs"
