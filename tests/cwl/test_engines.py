"""cwltool and toil-cwl-runner give the same products where the conformance list cannot tell.

The machine-local conformance list (test_conformance.py) runs every job under Toil and checks
each product's checksum against the suite's cwltool reference run, which shows that the
engines agree on those. This test covers the
tools whose products it expects by name only because their bytes vary between runs: the
SQLite databases of the ``db-*`` tools, compared here by their rows. Workflows are left to
the list: their databases come from the db-upload tool covered here, and their upload
receipts (which name the product ids each upload got from the chained database) are
checksummed there.
"""

import pytest
from cwl_engines import (
    JOBS,
    cwl_for,
    load_cwl,
    product_files,
    run_engine,
    same_product,
)
from make_conformance import (
    CTAPIPE_PRODUCTS,
    VARYING_SUFFIXES,
    conformance_entries,
    expected_files,
)
from product_numbers import fingerprint


def _not_checksummed(job):
    """True for a tool job whose products the conformance list does not all checksum."""
    if load_cwl(cwl_for(job))["class"] != "CommandLineTool":
        return False
    entry = conformance_entries()[job.stem]
    products = [
        f["basename"]
        for value in entry["output"].values()
        for f in expected_files(value)
        if not f["basename"].endswith(".provenance.json")
    ]
    return any(name.endswith(VARYING_SUFFIXES) for name in products)


ENGINE_JOBS = [j for j in JOBS if _not_checksummed(j)]


def test_the_engine_jobs_are_the_unchecksummed_ones():
    names = {j.stem for j in ENGINE_JOBS}
    assert {"db-init", "db-upload"} <= names
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
    files = product_files(out_cwltool)
    assert files, "the job produced no product"
    assert files == product_files(out_toil)
    for rel in files:
        if rel.name in CTAPIPE_PRODUCTS:
            # ctapipe's own tools write a random activity id and the creation time into their
            # HDF5 metadata: every other node, attribute and value must be the same
            same = fingerprint(out_cwltool / rel) == fingerprint(out_toil / rel)
        else:
            same = same_product(out_cwltool / rel, out_toil / rel)
        assert same, f"{rel} differs"
