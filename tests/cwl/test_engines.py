"""Every job of cwl/jobs/ runs under cwltool and toil-cwl-runner with identical outputs."""

import pytest
from cwl_engines import JOBS, cwl_for, product_files, run_engine, same_product
from fake_services_fixture import fake_services_for_fetch_jobs  # noqa: F401 (fetch-* jobs)


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
        assert same_product(out_cwltool / rel, out_toil / rel), f"{rel} differs"
