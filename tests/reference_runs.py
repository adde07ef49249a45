"""The suite's own reference run: every CWL job under ``cwltool --no-container`` on this machine.

Run once per test session and shared by all pytest-xdist workers (the first worker that asks
runs it, under a file lock; the others wait and read it). It gives:

- the products of every job (``Reference.outdir(stem)``, ``Reference.runs[stem]``: the CWL
  output objects), checked against the committed conformance list and its numbers;
- a machine-local conformance list (``Reference.local_list``) that expects every product byte
  for byte, which Toil and the containers must match on this machine.
"""

import json
import platform
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


def shared_directory(tmp_path_factory, worker_id):
    """A directory of this test session that every xdist worker sees."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if worker_id != "master" else base


def _build(root):
    runs = run_jobs(JOBS, root)
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
