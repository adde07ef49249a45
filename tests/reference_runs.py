"""The suite's own reference run: every CWL job under ``cwltool --no-container`` on this machine.

Run once per test session and shared by all pytest-xdist workers (the first worker that asks
runs it, under a file lock; the others wait and read it). It gives:

- the products of every job (``Reference.outdir(stem)``, ``Reference.runs[stem]``: the CWL
  output objects), checked against the committed conformance list and its numbers;
- a machine-local conformance list (``Reference.local_list``) that expects every product byte
  for byte, which Toil and the containers must match on this machine;
- cwltool's log of each job (``Reference.log(stem)``) and, from it, every CWL job it ran with
  its tool, input object and the peak memory cwltool sampled (``Reference.cwl_jobs(stem)``).
"""

import json
import platform
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock
from make_conformance import JOBS, LOCAL_HEADER, dump, local_entries, run_jobs


@dataclass(frozen=True)
class Reference:
    root: Path
    runs: dict

    @property
    def local_list(self):
        return self.root / "conformance_tests.local.yml"

    def outdir(self, stem):
        return self.root / stem

    def log(self, stem):
        """cwltool's stderr (DEBUG level, colour codes removed) of the run of job ``stem``."""
        return ANSI.sub("", (self.root / "logs" / f"{stem}.stderr").read_text())

    def cwl_jobs(self, stem):
        """The CWL jobs cwltool ran for job ``stem`` (the tool, or each step of the workflow).

        A list of ``CWLJob`` (name, tool file, input object, peak memory [MiB]). cwltool samples
        a job's process tree once a second: a job that ends within the first second has no
        peak (``None``).
        """
        return parse_cwltool_log(self.log(stem))


@dataclass(frozen=True)
class CWLJob:
    name: str
    tool: Path
    inputs: dict
    peak_mib: int | None


ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: cwltool's DEBUG/INFO lines about a job
_INIT = re.compile(
    r"^DEBUG \[job (?P<name>[^\]]+)\] initializing from file://(?P<tool>\S+?)(?: as|$)"
)
_INPUTS = re.compile(r"^DEBUG \[job (?P<name>[^\]]+)\] \{$")
_PEAK = re.compile(r"^INFO \[job (?P<name>[^\]]+)\] Max memory used: (?P<mib>\d+) ?MiB")


def parse_cwltool_log(text):
    """The jobs of a cwltool ``--debug`` log: see :meth:`Reference.cwl_jobs`."""
    tools, inputs, peaks = {}, {}, {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if m := _INIT.match(line):
            tools[m["name"]] = Path(m["tool"])
        elif (m := _INPUTS.match(line)) and m["name"] in tools and m["name"] not in inputs:
            end = lines.index("}", i)  # json_dumps(indent=4): the object closes at column 0
            inputs[m["name"]] = json.loads("{" + "\n".join(lines[i + 1 : end + 1]))
        elif m := _PEAK.match(line):
            peaks[m["name"]] = int(m["mib"])
    return [CWLJob(n, tools[n], inputs.get(n, {}), peaks.get(n)) for n in tools]


def shared_directory(tmp_path_factory, worker_id):
    """A directory of this test session that every xdist worker sees."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if worker_id != "master" else base


def _build(root):
    (root / "logs").mkdir(exist_ok=True)
    runs = run_jobs(JOBS, root, log_dir=root / "logs")
    header = LOCAL_HEADER.format(host=platform.node(), name="conformance_tests.local.yml")
    (root / "conformance_tests.local.yml").write_text(dump(local_entries(runs, base=root), header))
    (root / "runs.json").write_text(json.dumps(runs))


def reference_run(tmp_path_factory, worker_id):
    """The reference run of every job on this machine (see the module's docstring)."""
    shared = shared_directory(tmp_path_factory, worker_id)
    root = shared / "reference"
    with FileLock(str(shared / "reference.lock")):
        if (root / "failed.txt").exists():
            pytest.fail((root / "failed.txt").read_text())
        if not (root / "runs.json").exists():
            root.mkdir(exist_ok=True)
            try:
                _build(root)
            except Exception as err:  # recorded once: the other workers fail the same way
                (root / "failed.txt").write_text(f"reference run failed: {err}")
                raise
    return Reference(root, json.loads((root / "runs.json").read_text()))
