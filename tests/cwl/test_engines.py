"""cwltool and toil-cwl-runner give the same products where the conformance list cannot tell.

The machine-local conformance list (test_conformance.py) runs every other job under Toil and
checks each product's checksum against the suite's cwltool reference run, which shows that the
engines agree on those. This test covers the tools whose products it would expect by name only
because their bytes vary between runs: the SQLite databases of the ``db-*`` tools, compared
here by their rows, and the HDF5 files of ctapipe's own tools, compared by every node,
attribute and value but their activity id and creation time. Workflows are left to the list:
their databases come from the db-upload tool covered here, and their upload receipts (which
name the product ids each upload got from the chained database) are checksummed there.
"""

import pytest
from cwl_engines import cwl_for, differing_products, run_engine
from make_conformance import unchecksummed_tool_jobs

ENGINE_JOBS = unchecksummed_tool_jobs()


def test_the_engine_jobs_are_the_unchecksummed_ones():
    names = {j.stem for j in ENGINE_JOBS}
    assert {"db-init", "db-upload", "variance-images", "ctapipe-merge-statistics"} <= names
    assert "compute-macobac" not in names and "muon-calibration" not in names


@pytest.mark.engines
@pytest.mark.parametrize("job", ENGINE_JOBS, ids=[j.stem for j in ENGINE_JOBS])
def test_job_identical_under_cwltool_and_toil(job, reference, tmp_path):
    """Toil against the suite's cwltool reference run of the same job on this machine."""
    cwl = cwl_for(job)
    out_cwltool, out_toil = reference.outdir(job.stem), tmp_path / "toil"
    outputs_cwltool = reference.runs[job.stem]
    outputs_toil = run_engine("toil", cwl, job, out_toil, tmp_path)
    assert outputs_cwltool.keys() == outputs_toil.keys()
    differing = differing_products(out_cwltool, out_toil)
    assert not differing, "\n".join(differing)
