"""Every tool tells a scheduler what it needs, and no conformance job needs more.

Each tool declares a ``ResourceRequirement`` hint (``coresMin``, ``ramMin`` [MiB], ``outdirMin``
and ``tmpdirMin`` [MiB]) from the peaks measured over the conformance jobs, as an expression of
its inputs' sizes where the need grows with them. Toil and the WMS schedule by these numbers (the
one-node Slurm of tests/slurm gets them as ``sbatch --mem``) but nothing enforces them, so this
test does: the suite's cwltool reference run (``reference`` fixture) logs every CWL job's input
object and the peak memory of its process tree, sampled once a second ("Max memory used"), and
each peak must stay within the ``ramMin`` the tool declares for those inputs; each tool job's
products must fit in its ``outdirMin``.
"""

import pytest
from conftest import CWL_DIR
from cwl_engines import JOBS, cwl_for, load_cwl

TOOLS = sorted((CWL_DIR / "tools").glob("*.cwl"))
TOOL_JOBS = [j for j in JOBS if load_cwl(cwl_for(j))["class"] == "CommandLineTool"]
KEYS = ("coresMin", "ramMin", "outdirMin", "tmpdirMin")
#: tools whose memory grows with the input and whose own conformance jobs last long enough
#: for cwltool's once-a-second sampling: their peaks must be measured, not just pass unmeasured
MUST_BE_MEASURED = {"process-muons", "create-atmospheric-model", "ingest-meteo"}


def resource_requirement(doc):
    for section in ("hints", "requirements"):
        value = doc.get(section) or {}
        if isinstance(value, list):
            value = {r["class"]: r for r in value}
        if "ResourceRequirement" in value:
            return value["ResourceRequirement"]
    return None


def evaluate(value, inputs):
    """A ResourceRequirement value (a number or a CWL expression) for the job ``inputs``."""
    if not isinstance(value, str):
        return value
    from cwl_utils.expression import do_eval

    requirements = [{"class": "InlineJavascriptRequirement"}]
    return do_eval(value, inputs, requirements, None, None, {}, cwlVersion="v1.2")


@pytest.mark.parametrize("tool", TOOLS, ids=[t.stem for t in TOOLS])
def test_tool_declares_what_it_needs(tool):
    doc = load_cwl(tool)
    req = resource_requirement(doc)
    assert req is not None, f"{tool.name}: no ResourceRequirement"
    assert "ResourceRequirement" not in (doc.get("requirements") or {}), "a hint, not a requirement"
    assert [k for k in KEYS if k not in req] == [], f"{tool.name}: missing keys"
    for key in KEYS:
        value = req[key]
        if isinstance(value, str):
            assert value.startswith("$(") and value.endswith(")"), f"{key}: {value!r}"
            reqs = doc.get("requirements") or {}
            assert "InlineJavascriptRequirement" in reqs, f"{key} is an expression: needs JS"
        else:
            assert isinstance(value, int) and value > 0, f"{key}: {value!r}"
    assert req["coresMin"] == 1 or isinstance(req["coresMin"], str)


def test_expressions_evaluate_and_grow_with_the_input():
    """process-muons asks for more memory (and cores) for a larger DL1 file (more workers)."""
    doc = load_cwl(CWL_DIR / "tools" / "process-muons.cwl")
    req = resource_requirement(doc)
    small_file, large_file = ({"class": "File", "size": size} for size in (1 << 20, 1 << 30))
    small = evaluate(req["ramMin"], {"dl1_images": small_file, "workers": None})
    large = evaluate(req["ramMin"], {"dl1_images": large_file, "workers": None})
    two_workers = evaluate(req["ramMin"], {"dl1_images": small_file, "workers": 2})
    assert 256 <= small < large and small < two_workers
    assert evaluate(req["coresMin"], {"dl1_images": small_file, "workers": None}) == 1
    assert evaluate(req["coresMin"], {"dl1_images": small_file, "workers": 2}) == 2


#: peaks measured by bench/bench_resources.py (BENCHMARKS.md "Resources"): tool, inputs, MiB
BENCH_PEAKS = [
    ("process-muons", {"dl1_images": {"size": 1.30}, "workers": None}, 301),
    ("process-muons", {"dl1_images": {"size": 1.30}, "workers": 2}, 854),
    ("process-muons", {"dl1_images": {"size": 0.24}, "workers": 2}, 841),
    ("ingest-meteo", {"meteo_files": [{"size": 9.82, "nameext": ".grib"}]}, 184),
    ("ingest-meteo", {"meteo_files": [{"size": 1.43, "nameext": ".nc"}]}, 183),
    # bench/bench_camera.py --memory 10000 40000 (1801 pixels x 2 channels, sky-pedestal images)
    ("ctapipe-calculate-pixel-statistics", {"dl1_images": {"size": 172.4}}, 1567),
    ("ctapipe-calculate-pixel-statistics", {"dl1_images": {"size": 688.5}}, 5312),
]


@pytest.mark.parametrize(("tool", "inputs", "peak"), BENCH_PEAKS)
def test_declared_memory_covers_the_benchmarked_peaks(tool, inputs, peak):
    """The input-size expressions hold for the benchmark's larger inputs (a month, 2 workers)."""
    req = resource_requirement(load_cwl(CWL_DIR / "tools" / f"{tool}.cwl"))

    def in_bytes(value):
        if isinstance(value, list):
            return [in_bytes(v) for v in value]
        if isinstance(value, dict):
            return {"class": "File", **value, "size": value["size"] * 1048576}
        return value

    declared = evaluate(req["ramMin"], {k: in_bytes(v) for k, v in inputs.items()})
    assert peak <= declared < 3 * peak + 512, (tool, inputs, declared)


@pytest.mark.parametrize("job", JOBS, ids=[j.stem for j in JOBS])
def test_measured_peaks_within_declared(job, reference):
    over, measured = [], []
    for run in reference.cwl_jobs(job.stem):
        if run.peak_mib is None:  # ended within cwltool's first sampling second
            continue
        measured.append(run.tool.stem)
        req = resource_requirement(load_cwl(run.tool))
        declared = evaluate(req["ramMin"], run.inputs)
        if run.peak_mib > declared:
            over.append(f"{run.name} ({run.tool.name}): peak {run.peak_mib} MiB > {declared}")
    assert over == []
    # the tool's own conformance job is long enough to be sampled; inside workflows the same
    # tool may run on a small input in under a second (the campaign's one-night steps)
    if job.stem in MUST_BE_MEASURED:
        assert job.stem in measured, "a long step's peak was not sampled"


@pytest.mark.parametrize("job", TOOL_JOBS, ids=[j.stem for j in TOOL_JOBS])
def test_products_fit_the_declared_outdir(job, reference):
    cwl = cwl_for(job)
    (run,) = reference.cwl_jobs(job.stem)
    declared = evaluate(resource_requirement(load_cwl(cwl))["outdirMin"], run.inputs)
    size = sum(p.stat().st_size for p in reference.outdir(job.stem).rglob("*") if p.is_file())
    assert size <= declared * 2**20, f"products {size / 2**20:.1f} MiB > outdirMin {declared}"
