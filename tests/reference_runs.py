"""The suite's own reference run: every CWL job under ``cwltool --no-container`` on this machine.

Run once per test session and shared by all pytest-xdist workers (the first worker that asks
runs it, under a file lock; the others wait and read it; when the whole suite runs under xdist
the controller starts it in the background at the start, :func:`pytest_sessionstart`). It
gives:

- the products of every job (``Reference.outdir(stem)``, ``Reference.runs[stem]``: the CWL
  output objects), checked against the committed conformance list and its numbers;
- a machine-local conformance list (``Reference.local_list``) that expects every product byte
  for byte, which Toil and the containers must match on this machine;
- cwltool's log of each job (``Reference.log(stem)``) and, from it, every CWL job it ran with
  its tool, input object and the peak memory cwltool sampled (``Reference.cwl_jobs(stem)``).
"""

import json
import os
import platform
import re
import subprocess
import sys
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


def reference_at(root):
    """The reference run in directory ``root``, made there first if no one has yet.

    Under a file lock beside ``root``: whoever comes first (a worker, or the background run
    of :func:`pytest_sessionstart`) makes it, the others wait and read it. A failed run is
    recorded once and fails everyone who asks.
    """
    with FileLock(str(root.parent / "reference.lock")):
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


def reference_run(tmp_path_factory, worker_id):
    """The reference run of every job on this machine (see the module's docstring)."""
    return reference_at(shared_directory(tmp_path_factory, worker_id) / "reference")


# --- the reference run in the background of a whole-suite session ------------------------------

_background = pytest.StashKey[subprocess.Popen]()


def _whole_suite(config):
    """Whether the session runs the whole suite (``make test``): no paths, keywords or markers."""
    default = [str(config.rootpath / p) for p in config.getini("testpaths")]
    args = [str((config.invocation_params.dir / a).resolve()) for a in config.args]
    return args == default and not config.option.keyword and not config.option.markexpr


def pytest_sessionstart(session):
    """Start the reference run in the background when the whole suite runs under xdist.

    About 250 tests need it, and the first worker that asks would make it while the other waits
    idle (3-9 min). Started by the controller at the start, it runs beside the first tests of
    both workers; the ``reference`` fixture then waits for it under the lock.
    ``CALIBPIPE_NO_REFERENCE_PREBUILD=1`` switches it off.
    """
    config = session.config
    if hasattr(config, "workerinput") or os.environ.get("CALIBPIPE_NO_REFERENCE_PREBUILD"):
        return
    if not getattr(config.option, "numprocesses", None) or not _whole_suite(config):
        return
    root = config._tmp_path_factory.getbasetemp() / "reference"  # the workers' shared directory
    here = Path(__file__).resolve().parent
    code = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; import conftest; "
        "from pathlib import Path; from reference_runs import reference_at; "
        "reference_at(Path(sys.argv[3]))"
    )
    log = open(root.parent / "reference-background.log", "w")  # noqa: SIM115 (the run's)
    config.stash[_background] = subprocess.Popen(
        [sys.executable, "-c", code, str(here), str(here / "cwl"), str(root)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()


def pytest_sessionfinish(session):
    """Wait for a background reference run the tests did not wait for."""
    run = session.config.stash.get(_background, None)
    if run is not None:
        run.wait()
