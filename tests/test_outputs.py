"""Atomic outputs (calibpipe_tasks.outputs): no partial product and no debris after a kill.

The kill tests run real step processes that SIGKILL (or SIGSTOP) themselves at the n-th write
checkpoint (``CALIBPIPE_TEST_KILL_AT`` / ``CALIBPIPE_TEST_STOP_AT``, read by outputs.py only).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import DATA

from calibpipe_tasks import outputs
from calibpipe_tasks.io.reference_atmosphere import default_reference_dir

EXE = str(Path(sys.executable).parent / "calibpipe-tasks")
MODEL = [
    "create-atmospheric-model",
    "--meteo", DATA / "meteo_north_era5like.ecsv",
    "--macobac", DATA / "macobac_sample.ecsv",
    "--reference-model", default_reference_dir() / "reference_atmo_model_v0_ctao-north_winter.ecsv",
]  # fmt: skip
INGEST = [
    "ingest-meteo",
    "--meteo-files", DATA / "gdas_north_20240116_00.grib2",
    "--site", "North", "--start", "2024-01-16T00:00", "--end", "2024-01-16T01:00",
]  # fmt: skip


def _env(**hooks):
    env = {k: v for k, v in os.environ.items() if k not in outputs.TEST_SIGNALS}
    env.update({k: str(v) for k, v in hooks.items()})
    return env


def step(args, out, **hooks):
    cmd = [EXE, *map(str, args), "--output-dir", str(out), "--log-level", "WARNING"]
    return subprocess.run(cmd, env=_env(**hooks), capture_output=True, text=True, timeout=600)


def temporaries(directory):
    return sorted(p for p in Path(directory).iterdir() if p.name.startswith(outputs.TMP_PREFIX))


def products(directory):
    """Name -> bytes of the visible files (provenance records aside: they hold times)."""
    return {
        p.name: p.read_bytes()
        for p in Path(directory).iterdir()
        if not p.name.startswith(".") and not p.name.endswith(".provenance.json")
    }


def _tmpdir_name(pid, owner="create-atmospheric-model", host=None):
    return f"{outputs.TMP_PREFIX}{owner}-{pid}@{host or outputs._host()}-abc_1234"


def _dead_pid():
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], text=True,
                          capture_output=True)  # fmt: skip
    return int(proc.stdout)


def test_stale_temporaries_of_dead_runs_go_live_ones_stay(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        dead = tmp_path / _tmpdir_name(_dead_pid())
        live = tmp_path / _tmpdir_name(sleeper.pid, owner="ingest-meteo")
        remote = tmp_path / _tmpdir_name(_dead_pid(), host="another-node.example")
        old_remote = tmp_path / _tmpdir_name(_dead_pid(), host="c0ffee123456")  # a container
        earlier_self = tmp_path / _tmpdir_name(os.getpid())  # e.g. pid 1 in a container again
        unrelated = tmp_path / ".calibpipe-tmp-notes"  # not a name this module makes
        for d in (dead, live, remote, old_remote, earlier_self, unrelated):
            d.mkdir()
            (d / "model_profile.ecsv").write_text("partial")
        week_ago = time.time() - outputs.FOREIGN_STALE_AFTER_S - 60
        os.utime(old_remote, (week_ago, week_ago))
        os.utime(remote, (week_ago + 120, week_ago + 120))  # other host, 6 days 23:59 old
        own = outputs.make_temporary_directory(tmp_path, "db-upload")  # removes the stale ones
        assert sorted(temporaries(tmp_path)) == sorted([live, remote, own, unrelated])
        assert outputs.remove_stale_temporaries(tmp_path) == []  # own live directory stays
        outputs.remove_temporary_directory(own)
        assert not own.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_outputset_commits_from_one_hidden_directory_and_removes_it(tmp_path):
    out = outputs.OutputSet(tmp_path, owner="create-mdp")
    a, b = out.path("a.ecsv"), out.path("b.json")
    assert a.parent == b.parent and a.parent.parent == tmp_path and a.name == "a.ecsv"
    assert a.parent.name.startswith(f".calibpipe-tmp-create-mdp-{os.getpid()}@{outputs._host()}-")
    a.write_text("a")
    b.write_text("b")
    assert [p.name for p in tmp_path.iterdir()] == [a.parent.name]  # nothing visible yet
    out.commit()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ecsv", "b.json"]
    failed = outputs.OutputSet(tmp_path, owner="create-mdp")
    failed.path("c.ecsv").write_text("c")
    failed.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ecsv", "b.json"]


def test_a_product_directory_appears_complete_and_replaces_an_earlier_one(tmp_path):
    (tmp_path / "night").mkdir()
    (tmp_path / "night" / "old.txt").write_text("from an earlier run")
    out = outputs.OutputSet(tmp_path, owner="index-campaign")
    night = out.subdirectory("night")
    (night / "a.ecsv").write_text("a")
    assert sorted(p.name for p in (tmp_path / "night").iterdir()) == ["old.txt"]  # not yet
    assert out.commit() == [tmp_path / "night"]
    assert sorted(p.name for p in (tmp_path / "night").iterdir()) == ["a.ecsv"]
    assert oct((tmp_path / "night" / "a.ecsv").stat().st_mode & 0o777) == "0o644"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["night"]  # no temporaries left
    failed = outputs.OutputSet(tmp_path, owner="index-campaign")
    (failed.subdirectory("other") / "b.ecsv").write_text("b")
    failed.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["night"]


def _temporaries_at(checkpoint, n):
    """Files in the temporary directory at a checkpoint of a run with n products."""
    if checkpoint <= n:  # the checkpoint-th temporary just created
        return checkpoint
    if checkpoint <= 2 * n + 1:  # commit: checkpoint - n - 1 renames done
        return n - (checkpoint - n - 1)
    return 1  # the provenance record's own temporary directory


@pytest.mark.slow
def test_kill_9_of_create_atmospheric_model_at_every_phase(tmp_path):
    reference = tmp_path / "reference"
    reference.mkdir()
    assert step(MODEL, reference).returncode == 0
    expected = products(reference)
    n = len(expected)  # checkpoints: 1..n temporaries, n+1 commit, n+2..2n+1 renames, 2n+2 record
    assert n == 10 and not temporaries(reference)

    out = tmp_path / "out"
    out.mkdir()
    previous = None
    for kill_at, visible in ((1, 0), (n // 2, 0), (n, 0), (n + 1, 0), (n + 2, 1), (2 * n + 2, n)):
        result = step(MODEL, out, CALIBPIPE_TEST_KILL_AT=kill_at)
        assert result.returncode == -signal.SIGKILL, (kill_at, result.stderr)
        left = temporaries(out)
        assert len(left) == 1 and left != previous, kill_at  # the killed run's; earlier one gone
        previous = left
        assert len(list(left[0].iterdir())) == _temporaries_at(kill_at, n), kill_at
        now = products(out)
        assert len(now) == visible, kill_at
        assert all(now[name] == expected[name] for name in now)  # what is visible is complete
        assert not (out / "create-atmospheric-model.provenance.json").exists()

    result = step(MODEL, out)
    assert result.returncode == 0, result.stderr
    assert not temporaries(out)
    assert products(out) == expected
    assert (out / "create-atmospheric-model.provenance.json").exists()


@pytest.mark.slow
def test_kill_9_of_ingest_meteo_then_a_clean_run(tmp_path):
    reference = tmp_path / "reference"
    reference.mkdir()
    assert step(INGEST, reference).returncode == 0
    expected = products(reference)
    assert list(expected) == ["meteo.ecsv"]
    out = tmp_path / "out"
    out.mkdir()
    for kill_at in (1, 2):  # the temporary written, the commit about to start
        assert step(INGEST, out, CALIBPIPE_TEST_KILL_AT=kill_at).returncode == -signal.SIGKILL
        assert products(out) == {} and len(temporaries(out)) == 1
    assert step(INGEST, out).returncode == 0
    assert products(out) == expected and not temporaries(out)


@pytest.mark.slow
def test_two_steps_writing_into_one_directory_keep_each_others_temporaries(tmp_path):
    """A run stopped while it writes is alive: another step's start must not take its files."""
    cmd = [EXE, *map(str, MODEL), "--output-dir", str(tmp_path), "--log-level", "WARNING"]
    model = subprocess.Popen(cmd, env=_env(CALIBPIPE_TEST_STOP_AT=5), stderr=subprocess.PIPE)
    try:
        _, status = os.waitpid(model.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status)
        (stopped,) = temporaries(tmp_path)
        assert len(list(stopped.iterdir())) == 5
        assert step(INGEST, tmp_path).returncode == 0  # writes meanwhile, removes nothing of it
        assert temporaries(tmp_path) == [stopped] and len(list(stopped.iterdir())) == 5
    finally:
        model.send_signal(signal.SIGCONT)
    assert model.wait(timeout=600) == 0, model.stderr.read()
    assert not temporaries(tmp_path)
    assert {"meteo.ecsv", "model_profile.ecsv", "model_extinction.ecsv"} <= set(products(tmp_path))
