"""Every tool and workflow can be submitted to the DPPS WMS (CTADIRAC's ``CWLJob``).

CTADIRAC's ``CWLTranslator`` (read in CTADIRAC 3.3.1) packs the CWL file, replaces each tool's
``hints: DockerRequirement`` with ``apptainer run <cvmfs>/<image> <baseCommand>``, evaluates
each step's output globs from the job's inputs to fill the output sandbox, turns job-file
``File`` inputs into the input sandbox (local paths) or input data (``path: lfn://…``), and
handles only CommandLineTool/ExpressionTool workflow steps. The rules below mirror that; the
real translator is run too (its wheel fetched with ``pip download --no-deps``, cached in build/).
"""

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import CWL_DIR, ROOT, in_ci
from cwl_engines import JOBS, cwl_for, load_cwl
from ruamel.yaml import YAML

from calibpipe_tasks import __version__

TOOLS = sorted((CWL_DIR / "tools").glob("*.cwl"))
WORKFLOWS = sorted((CWL_DIR / "workflows").glob("*.cwl"))
CTADIRAC = "CTADIRAC==3.3.1"
CVMFS = Path("/cvmfs/ctao.dpps.test/containers")
# a glob the translator can evaluate before the job runs: static, or an expression of inputs
EXPRESSION = re.compile(r"\$\((.*?)\)|\$\{(.*?)\}", re.S)


def _ids(paths):
    return [p.name for p in paths]


def _as_dict(section):
    """hints/requirements as {class: spec}, whichever form (map or list) the file uses."""
    if isinstance(section, list):
        return {r["class"]: r for r in section}
    return dict(section or {})


def packed(path):
    """``cwltool --pack`` of a CWL file, as a list of process objects."""
    result = subprocess.run(["cwltool", "--pack", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    doc = json.loads(result.stdout)
    return doc["$graph"] if "$graph" in doc else [doc]


def glob_violation(glob):
    globs = glob if isinstance(glob, list) else [glob]
    for g in globs:
        for match in EXPRESSION.finditer(g):
            expr = match.group(1) or match.group(2)
            if re.search(r"\b(runtime|self)\b", expr):
                return f"glob {g!r} depends on the run, not only on inputs"
    return None


def wms_violations(path):
    """What in ``path`` (tool or workflow) CTADIRAC's CWLTranslator cannot handle."""
    problems = []
    processes = packed(path)
    by_id = {p.get("id", "#main"): p for p in processes}
    for proc in processes:
        name = proc.get("id", path.name)
        if "DockerRequirement" in _as_dict(proc.get("requirements")):
            problems.append(f"{name}: DockerRequirement under requirements (must be a hint)")
        if proc["class"] == "CommandLineTool":
            docker = _as_dict(proc.get("hints")).get("DockerRequirement")
            if not docker or not docker.get("dockerPull"):
                problems.append(f"{name}: no DockerRequirement hint with dockerPull")
            for out in proc["outputs"]:
                glob = (out.get("outputBinding") or {}).get("glob")
                if glob is None:
                    problems.append(f"{name}: output {out['id']} has no glob")
                elif problem := glob_violation(glob):
                    problems.append(f"{name}: {problem}")
        if proc["class"] == "Workflow":
            problems += namespace_violations(path)
            for step in proc["steps"]:
                if "run" not in step:  # cwltool 3.3 packs such a step as a dangling $import
                    problems.append(
                        f"{name}: cwltool --pack lost step {step.get('$import', step)}: a step "
                        "id equal to a workflow output id triggers this; rename the step"
                    )
                    continue
                run = step["run"]
                target = by_id.get(run) if isinstance(run, str) else run
                if target is None or target["class"] not in ("CommandLineTool", "ExpressionTool"):
                    problems.append(f"{name}: step {step['id']} is not a tool (nested workflow?)")
    return problems


def namespace_violations(workflow):
    """Step tools must not declare ``$namespaces``.

    The translator packs with cwl-utils, which leaves a step tool's ``$namespaces`` inside the
    step's ``run``, and cwl-utils' loader then rejects the workflow ("invalid field
    `$namespaces`"). Write ``format`` IRIs in full in tools instead (cwltool accepts both).
    """
    problems = []
    for name, step in load_cwl(workflow).get("steps", {}).items():
        run = step["run"]
        if isinstance(run, str) and "$namespaces" in load_cwl((workflow.parent / run).resolve()):
            problems.append(
                f"step {name}: its tool {run} declares $namespaces (write IRIs in full)"
            )
    return problems


def job_violations(job):
    problems = []

    def walk(node, where):
        if isinstance(node, dict):
            if node.get("class") in ("File", "Directory") and "path" not in node:
                problems.append(f"{where}: {node['class']} without path: (translator needs it)")
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}[{i}]")

    walk(YAML(typ="safe", pure=True).load(job.read_text()), job.name)
    return problems


# --- the rules, on every file --------------------------------------------------------------


@pytest.mark.parametrize("path", TOOLS + WORKFLOWS, ids=_ids(TOOLS + WORKFLOWS))
def test_cwl_utils_parser_loads(path):
    from cwl_utils.parser import load_document_by_uri

    doc = load_document_by_uri(path)
    assert doc.class_ in ("CommandLineTool", "Workflow")


@pytest.mark.parametrize("path", TOOLS + WORKFLOWS, ids=_ids(TOOLS + WORKFLOWS))
def test_within_the_translator_rules(path):
    assert wms_violations(path) == []


@pytest.mark.parametrize("job", JOBS, ids=_ids(JOBS))
def test_job_file_inputs_have_path(job):
    assert job_violations(job) == []


def test_the_rules_catch_what_the_translator_cannot_handle(tmp_path):
    """A nested workflow, a required DockerRequirement and a runtime-dependent glob are caught."""
    tool = load_cwl(TOOLS[0])
    tool["requirements"] = {"DockerRequirement": {"dockerPull": "x:1"}}
    first_output = next(iter(tool["outputs"].values()))
    first_output["outputBinding"]["glob"] = "$(runtime.outdir)/x"
    YAML().dump(tool, tmp_path / "bad-tool.cwl")
    inner = {
        "cwlVersion": "v1.2",
        "class": "Workflow",
        "inputs": {},
        "outputs": {},
        "steps": {},
    }
    YAML().dump(inner, tmp_path / "inner.cwl")
    outer = dict(inner, requirements={"SubworkflowFeatureRequirement": {}})
    outer["steps"] = {"nested": {"run": "inner.cwl", "in": {}, "out": []}}
    YAML().dump(outer, tmp_path / "outer.cwl")
    tool_problems = " ".join(wms_violations(tmp_path / "bad-tool.cwl"))
    assert "DockerRequirement under requirements" in tool_problems
    assert "depends on the run" in tool_problems
    assert "nested workflow" in " ".join(wms_violations(tmp_path / "outer.cwl"))
    (tmp_path / "job.yml").write_text("f: {class: File, location: data.csv}\n")
    assert job_violations(tmp_path / "job.yml")


# --- CTADIRAC's own translator ---------------------------------------------------------------


@pytest.fixture(scope="module")
def translator():
    """CTADIRAC's CWLTranslator class (only cwl-utils needed: DIRAC itself is not imported)."""
    cache = ROOT / "build" / "ctadirac"
    if not (cache / "CTADIRAC").is_dir():
        cache.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", CTADIRAC]
        result = subprocess.run([*cmd, "-d", str(cache)], capture_output=True, text=True)
        wheels = sorted(cache.glob("ctadirac-*.whl"))
        if result.returncode != 0 or not wheels:
            message = f"cannot download {CTADIRAC}: {result.stderr.strip()[-300:]}"
            if in_ci():
                pytest.fail(message)
            pytest.skip(message)
        with zipfile.ZipFile(wheels[-1]) as z:
            z.extractall(cache, [n for n in z.namelist() if n.startswith("CTADIRAC/")])
    sys.path.insert(0, str(cache))
    from CTADIRAC.Interfaces.Utilities.CWLTranslator import CWLTranslator

    return CWLTranslator


def job_files(job):
    files = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("class") == "File":
                files.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(YAML(typ="safe", pure=True).load(job.read_text()))
    return files


def _tools_of(transformed):
    from cwl_utils.parser import CommandLineTool

    if isinstance(transformed, CommandLineTool):
        return [transformed]
    return [s.run for s in transformed.steps if isinstance(s.run, CommandLineTool)]


@pytest.mark.parametrize("job", JOBS, ids=[j.stem for j in JOBS])
def test_ctadirac_translates(job, translator, monkeypatch):
    """The translator (run from the job file's directory: it resolves relative paths against
    the current directory) puts the image on CVMFS before each command and ships local inputs."""
    monkeypatch.chdir(job.parent)
    t = translator(str(cwl_for(job)), job.name)
    t.translate(CVMFS, [])
    image = str(CVMFS / f"calibpipe-tasks:{__version__}")
    for tool in _tools_of(t.transformed_cwl):
        assert tool.baseCommand[:3] == ["apptainer", "run", image]
        # calibpipe-tasks, or one of ctapipe's own tools the collection reuses
        assert tool.baseCommand[3] in (
            "calibpipe-tasks",
            "ctapipe-calculate-pixel-statistics",
            "ctapipe-merge",
            "ctapipe-process",
        )
    assert bool(t.input_sandbox) == bool(job_files(job))
    assert all(Path(f).is_file() for f in t.input_sandbox)
    assert not t.input_data
    assert t.output_sandbox and not any("$" in str(o) for o in t.output_sandbox)


@pytest.mark.parametrize("job", JOBS, ids=[j.stem for j in JOBS])
def test_ctadirac_takes_lfn_inputs_as_grid_data(job, translator, tmp_path, monkeypatch):
    """``path: lfn://…`` File inputs become input data, not sandbox files."""
    lfns = []

    def to_lfn(node):
        if isinstance(node, dict):
            if node.get("class") == "File":
                lfn = f"lfn:///ctao/calibpipe/{Path(node['path']).name}"
                lfns.append(lfn)
                return {**node, "path": lfn}
            return {k: to_lfn(v) for k, v in node.items()}
        if isinstance(node, list):
            return [to_lfn(v) for v in node]
        return node

    grid_job = tmp_path / job.name
    YAML().dump(to_lfn(YAML(typ="safe", pure=True).load(job.read_text())), grid_job)
    monkeypatch.chdir(tmp_path)
    t = translator(str(cwl_for(job)), str(grid_job))
    t.translate(CVMFS, [])
    # DIRAC's LFN form: the absolute LFN /ctao/... after "lfn://"
    assert t.input_data == {lfn.replace("lfn:///", "LFN:/") for lfn in lfns}
    assert not t.input_sandbox
    for value in t.transformed_inputs.values():  # the job sees the downloaded file's name
        if hasattr(value, "path"):
            assert value.path == Path(value.path).name


def test_rules_and_translator_on_a_two_step_workflow(translator, tmp_path, monkeypatch):
    """The workflow path of the checks on two-step workflows of compute-macobac: with the tool as
    it is and with a copy whose format IRI is written in full (no ``$namespaces``); the rules
    and CTADIRAC's translator must agree on both."""
    from schema_salad.exceptions import ValidationException

    tool = CWL_DIR / "tools" / "compute-macobac.cwl"
    plain = load_cwl(tool)
    namespaces = plain.pop("$namespaces", {})
    for spec in plain["outputs"].values():
        prefix, _, rest = str(spec.get("format", "")).partition(":")
        if prefix in namespaces:
            spec["format"] = namespaces[prefix] + rest
    YAML().dump(plain, tmp_path / "plain-tool.cwl")
    data = ROOT / "tests" / "data" / "scripps_monthly_in_situ_co2_mlo.csv"
    (tmp_path / "two.yml").write_text(f"co2_file: {{class: File, path: {data}}}\n")
    monkeypatch.chdir(tmp_path)

    def two_steps(run, name):
        def step(until):
            inputs = {"co2_file": "co2_file", "until": {"default": until}}
            return {"run": str(run), "in": inputs, "out": ["macobac"]}

        workflow = {
            "cwlVersion": "v1.2",
            "class": "Workflow",
            "label": "two steps",
            "doc": "two steps",
            "inputs": {"co2_file": "File"},
            "outputs": {
                "first": {"type": "File", "outputSource": "a/macobac"},
                "second": {"type": "File", "outputSource": "b/macobac"},
            },
            "steps": {"a": step("2023-06-30"), "b": step("2022-12-31")},
        }
        YAML().dump(workflow, tmp_path / name)
        return tmp_path / name

    plain_workflow = two_steps(tmp_path / "plain-tool.cwl", "plain.cwl")
    assert wms_violations(plain_workflow) == []
    t = translator(plain_workflow.name, "two.yml")
    t.translate(CVMFS, [])
    tools = _tools_of(t.transformed_cwl)
    assert len(tools) == 2 and all(tl.baseCommand[0] == "apptainer" for tl in tools)
    assert t.input_sandbox == {str(data)}
    assert t.output_sandbox == ["macobac.ecsv", "macobac.ecsv"]

    if namespaces:  # the tool as it is declares $namespaces: both reject the workflow
        as_is = two_steps(tool, "as-is.cwl")
        assert any("$namespaces" in p for p in wms_violations(as_is))
        with pytest.raises(ValidationException, match="namespaces"):
            translator(as_is.name, "two.yml")


def test_the_rules_catch_a_step_named_like_an_output(tmp_path):
    """cwltool --pack turns a step whose id equals a workflow output id into a dangling
    ``$import`` (the packed file no longer validates), at least with the collection's layout
    (workflows/ next to tools/)."""
    (tmp_path / "tools").mkdir()
    (tmp_path / "workflows").mkdir()
    tool = tmp_path / "tools" / "compute-macobac.cwl"
    tool.write_text((CWL_DIR / "tools" / "compute-macobac.cwl").read_text())
    step = {"run": "../tools/compute-macobac.cwl", "in": {"co2_file": "co2_file"}}
    workflow = {
        "cwlVersion": "v1.2",
        "class": "Workflow",
        "inputs": {"co2_file": "File"},
        "outputs": {"macobac": {"type": "File", "outputSource": "macobac/macobac"}},
        "steps": {"macobac": dict(step, out=["macobac"])},
    }
    YAML().dump(workflow, tmp_path / "workflows" / "clash.cwl")
    assert any("lost step" in p for p in wms_violations(tmp_path / "workflows" / "clash.cwl"))
    workflow["steps"] = {"average": dict(step, out=["macobac"])}
    workflow["outputs"]["macobac"]["outputSource"] = "average/macobac"
    YAML().dump(workflow, tmp_path / "workflows" / "renamed.cwl")
    assert not any("lost step" in p for p in wms_violations(tmp_path / "workflows" / "renamed.cwl"))
