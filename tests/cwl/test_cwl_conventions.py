"""Every CWL file follows the collection's conventions (DESIGN.md §4) and validates."""

import subprocess

import pytest
from conftest import CWL_DIR
from ruamel.yaml import YAML

from calibpipe_tasks import __version__
from calibpipe_tasks.steps import STEP_MODULES

TOOLS = sorted((CWL_DIR / "tools").glob("*.cwl"))
WORKFLOWS = sorted((CWL_DIR / "workflows").glob("*.cwl"))
JOBS = sorted((CWL_DIR / "jobs").glob("*.yml"))


def load(path):
    return YAML(typ="safe", pure=True).load(path.read_text())


#: tools that run one of ctapipe's own commands (its provenance is ctapipe's .log)
def _ids(paths):
    return [p.name for p in paths]


def test_every_step_has_a_tool_and_every_tool_a_job():
    assert {p.stem for p in TOOLS} - set(CTAPIPE_TOOLS) == set(STEP_MODULES)
    job_names = {p.stem for p in JOBS}
    for cwl in TOOLS + WORKFLOWS:
        assert cwl.stem in job_names, f"no job file cwl/jobs/{cwl.stem}.yml"


@pytest.mark.parametrize("path", TOOLS + WORKFLOWS, ids=_ids(TOOLS + WORKFLOWS))
def test_cwltool_validates(path):
    result = subprocess.run(["cwltool", "--validate", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "is valid CWL" in result.stdout + result.stderr


#: tools whose command is ctapipe's own (reused, not rewritten): stem -> baseCommand;
#: ctapipe's tools exit 1 on any error, so 1 is a permanent failure code there too
CTAPIPE_TOOLS = {
    "variance-images": ["ctapipe-process"],
    "ctapipe-calculate-pixel-statistics": ["ctapipe-calculate-pixel-statistics"],
    "ctapipe-merge-statistics": ["ctapipe-merge", "--attach-monitoring", "--monitoring"],
    "ctapipe-process-calibration": ["ctapipe-process"],
}


@pytest.mark.parametrize("path", TOOLS, ids=_ids(TOOLS))
def test_tool_conventions(path):
    tool = load(path)
    assert tool["cwlVersion"] == "v1.2"
    assert tool["class"] == "CommandLineTool"
    if path.stem in CTAPIPE_TOOLS:
        assert tool["baseCommand"] == CTAPIPE_TOOLS[path.stem]
    else:
        assert tool["baseCommand"] == ["calibpipe-tasks", path.stem]
    assert tool.get("label") and tool.get("doc")
    assert tool["temporaryFailCodes"] == [100]
    assert tool["permanentFailCodes"] == ([1, 2, 3] if path.stem in CTAPIPE_TOOLS else [2, 3])
    assert "DockerRequirement" not in tool.get("requirements", {})
    assert tool["hints"]["DockerRequirement"]["dockerPull"].endswith(f":{__version__}")
    assert "EnvVarRequirement" not in tool.get("requirements", {})
    # CTADIRAC packs with cwl-utils, which keeps a step's $namespaces and then refuses it
    assert "$namespaces" not in tool, "write formats as full IRIs, without $namespaces"
    for section in ("inputs", "outputs"):
        for name, spec in tool[section].items():
            assert spec.get("label") and spec.get("doc"), f"{section}.{name} needs label and doc"
    globs = []
    for output in tool["outputs"].values():
        glob = output["outputBinding"]["glob"]
        globs.extend(glob if isinstance(glob, list) else [glob])
    assert len(globs) == len(set(globs)), "output globs must be unique"
    # ctapipe's tools write their provenance log under the name given (.log or .json)
    suffixes = (
        (".provenance.log", ".provenance.json")
        if path.stem in CTAPIPE_TOOLS
        else (".provenance.json",)
    )
    assert any(f"{path.stem}{suffix}" in globs for suffix in suffixes)


@pytest.mark.parametrize("path", WORKFLOWS, ids=_ids(WORKFLOWS))
def test_workflow_is_flat(path):
    """The WMS translator accepts only CommandLineTool/ExpressionTool steps."""
    workflow = load(path)
    assert workflow["class"] == "Workflow" and workflow.get("label") and workflow.get("doc")
    for name, step in workflow["steps"].items():
        run = step["run"]
        assert isinstance(run, str) and run.startswith("../tools/"), f"step {name}: {run}"
        assert load((path.parent / run).resolve())["class"] in ("CommandLineTool", "ExpressionTool")


@pytest.mark.parametrize("path", JOBS, ids=_ids(JOBS))
def test_job_files_use_path_not_location(path):
    def walk(node):
        if isinstance(node, dict):
            if node.get("class") in ("File", "Directory"):
                assert "path" in node and "location" not in node, node
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(load(path))
