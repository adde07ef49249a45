"""Running CWL jobs under the engines, shared by the engine, conformance and container tests."""

import json
import subprocess

from conftest import CWL_DIR
from ruamel.yaml import YAML

JOBS = sorted((CWL_DIR / "jobs").glob("*.yml"))
ENGINES = ("cwltool", "toil")
#: command of each engine, as cwltest calls it
RUNNERS = {"cwltool": "cwltool", "toil": "toil-cwl-runner"}


def cwl_for(job):
    """The tool or workflow of a job file (cwl/tools or cwl/workflows).

    ``<name>.yml`` is the job of ``<name>.cwl``; a further job of the same file is
    ``<name>-<variant>.yml`` (e.g. ``molecular-atmosphere-fram.yml``): the longest CWL
    stem that is the job's stem or a ``-``-separated prefix of it.
    """
    stem = job.stem
    candidates = []
    for kind in ("tools", "workflows"):
        for path in (CWL_DIR / kind).glob("*.cwl"):
            if stem == path.stem or stem.startswith(path.stem + "-"):
                candidates.append(path)
    if not candidates:
        raise FileNotFoundError(f"no CWL file for job {job.name}")
    return max(candidates, key=lambda p: len(p.stem))


def load_cwl(path):
    return YAML(typ="safe", pure=True).load(path.read_text())


def _requirements(doc):
    reqs = {}
    for section in ("hints", "requirements"):
        value = doc.get(section) or {}
        if isinstance(value, list):  # list form: [{class: X, ...}]
            value = {r["class"]: r for r in value}
        reqs.update(value)
    return reqs


def needs_network(cwl):
    """True if the tool, or a tool of the workflow, declares ``NetworkAccess: true``."""
    doc = load_cwl(cwl)
    if doc["class"] == "Workflow":
        return any(
            needs_network((cwl.parent / step["run"]).resolve())
            for step in doc["steps"].values()
            if isinstance(step["run"], str)
        )
    access = _requirements(doc).get("NetworkAccess") or {}
    return access.get("networkAccess") is True


def engine_command(engine, outdir, tmp_path, container=None, network=None):
    """The command line of ``engine`` (cwltool or toil) without the CWL and job files.

    ``container`` None runs with ``--no-container``; "podman" or "docker" runs in containers.
    ``network`` is the container network of steps with ``NetworkAccess`` (``--custom-net``,
    e.g. "host" to reach services on the host's loopback); steps without it get none.
    """
    mode = [f"--{container}" if container else "--no-container"]
    if network:
        mode.append(f"--custom-net={network}")
    if engine == "cwltool":
        return ["cwltool", *mode, "--quiet", "--outdir", str(outdir)]
    return [
        "toil-cwl-runner",
        *mode,
        "--logLevel",
        "ERROR",
        "--jobStore",
        f"file:{tmp_path / f'jobstore-{outdir.name}'}",
        "--workDir",
        str(tmp_path),
        "--outdir",
        str(outdir),
    ]


def run_engine(engine, cwl, job, outdir, tmp_path, container=None, env=None, network=None):
    """Run ``cwl`` with ``job`` under ``engine``; returns the CWL output object."""
    cmd = [*engine_command(engine, outdir, tmp_path, container, network), str(cwl), str(job)]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    label = f"{engine} --{container}" if container else engine
    assert result.returncode == 0, f"{label} failed:\n{result.stderr[-4000:]}"
    return json.loads(result.stdout)


def product_files(outdir):
    """Relative paths of the products in ``outdir``.

    Provenance records and logs (ours ``.provenance.json``, ctapipe's tools' ``.provenance.log``)
    hold times and process ids: left out.
    """
    return sorted(
        p.relative_to(outdir)
        for p in outdir.rglob("*")
        if p.is_file() and not p.name.endswith((".provenance.json", ".provenance.log"))
    )


def _sqlite_rows(path, leave_out=("provenance",)):
    """Every table's rows, sorted, without the columns ``leave_out``."""
    import sqlite3

    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        content = {}
        for table in sorted(tables):
            columns = [r[1] for r in db.execute(f'PRAGMA table_info("{table}")')]
            keep = [c for c in columns if c not in leave_out]
            select = ", ".join(f'"{c}"' for c in keep)
            content[table] = sorted(db.execute(f'SELECT {select} FROM "{table}"'), key=repr)
    return content


#: JSON keys that depend on the software stack: the manifest's software record and the
#: checksums and sizes of files that contain it (validation report, upload receipt)
SOFTWARE_DEPENDENT_KEYS = {"software", "sha256", "size", "content_sha256"}


def _without_software(node):
    if isinstance(node, dict):
        return {
            k: _without_software(v) for k, v in node.items() if k not in SOFTWARE_DEPENDENT_KEYS
        }
    if isinstance(node, list):
        return [_without_software(v) for v in node]
    return node


def same_product(a, b, across_software=False):
    """Whether two runs' copies of a product agree.

    Byte for byte, except: SQLite databases are compared by their rows without the stored
    provenance records (which hold times; the file header also names the SQLite library);
    with ``across_software`` (host venv vs container image), the exchange manifest's
    ``software`` record (versions of Python and libraries) differs by design, so JSON files
    are compared without it and without the checksums and sizes that follow from it, and
    databases without the stored bytes, checksums and meta.
    """
    import filecmp

    if a.suffix == ".sqlite":
        # the stored provenance records hold times; across software the stored exchange
        # manifests differ in their software record, so their bytes and checksums do too
        leave_out = ("provenance",)
        if across_software:
            leave_out += ("data", "sha256", "size", "content_sha256", "meta")
        return _sqlite_rows(a, leave_out) == _sqlite_rows(b, leave_out)
    if across_software and a.suffix == ".json":
        load = json.loads
        return _without_software(load(a.read_text())) == _without_software(load(b.read_text()))
    return filecmp.cmp(a, b, shallow=False)


def differing_products(expected_dir, outdir, across_software=False):
    """The products of ``outdir`` that are not those of ``expected_dir`` (a reference run).

    A missing or an extra file is a difference; each file is compared by :func:`same_product`,
    except the HDF5 files of ctapipe's own tools, which hold a random activity id and their
    creation time: every other node, attribute and value of those must be the same
    (``product_numbers.fingerprint``). An empty list means the same products.
    """
    from make_conformance import CTAPIPE_PRODUCTS
    from product_numbers import fingerprint

    expected, got = product_files(expected_dir), product_files(outdir)
    if not expected:
        return ["the reference run has no product"]
    differing = [f"{rel}: missing" for rel in sorted(set(expected) - set(got))]
    differing += [f"{rel}: not in the reference run" for rel in sorted(set(got) - set(expected))]
    for rel in sorted(set(expected) & set(got)):
        a, b = expected_dir / rel, outdir / rel
        if rel.name in CTAPIPE_PRODUCTS:
            same = fingerprint(a) == fingerprint(b)
        else:
            same = same_product(a, b, across_software=across_software)
        if not same:
            differing.append(f"{rel}: differs")
    return differing


def run_cwltest(engine, test_list, cwd, *options, engine_args=("--no-container",), env=None):
    """Run cwltest on ``test_list`` with ``engine``; ``engine_args`` go to the engine."""
    cmd = ["cwltest", "--test", str(test_list), "--tool", RUNNERS[engine], *options]
    cmd += ["--", *engine_args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env)
