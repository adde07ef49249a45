"""The step image and podman for test stages that run steps in containers.

Shared by the container stage (tests/containers) and the Slurm stage (tests/slurm, whose
batch jobs start the steps' containers). Where podman cannot be had the stage is skipped with
a clear message; under CI (``CI=true``) that is a failure (``.ci/run`` installs podman with
containers/setup-host.sh). The image is built once by containers/build.sh (cached).

Building it on a fresh machine takes minutes, most of them downloads (the Debian base,
the dependency wheels): when the selected tests include these stages and podman is installed,
the session's controller starts containers/build.sh in the background at the start
(:func:`pytest_sessionstart`), so that it overlaps the other tests; the ``image`` fixture then
runs build.sh again, which waits for that build (build.sh holds a lock) and finds the image
up to date. ``CALIBPIPE_NO_IMAGE_PREBUILD=1`` switches the background build off.
"""

import os
import shutil
import subprocess

import pytest
from conftest import ROOT, in_ci

CONTAINERS = ROOT / "containers"
WRAPPER_DIR = CONTAINERS / "podman-wrapper"
#: the test directories whose tests need the image
IMAGE_STAGES = (ROOT / "tests" / "containers", ROOT / "tests" / "slurm")
PREBUILD_LOG = ROOT / "build" / "containers" / "prebuild.log"
_prebuild = pytest.StashKey[subprocess.Popen]()


def _selects_image_stages(config):
    """Whether the session's arguments select tests of the container or Slurm stage."""
    if config.option.keyword or "not containers" in (config.option.markexpr or ""):
        return False
    for arg in config.args:
        path = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        for stage in IMAGE_STAGES:
            if path == stage or path in stage.parents or stage in path.parents:
                return True
    return False


def pytest_sessionstart(session):
    """Start the image build in the background (see the module's docstring)."""
    config = session.config
    if hasattr(config, "workerinput") or os.environ.get("CALIBPIPE_NO_IMAGE_PREBUILD"):
        return  # a pytest-xdist worker: the controller starts it
    if shutil.which("podman") is None or not _selects_image_stages(config):
        return
    PREBUILD_LOG.parent.mkdir(parents=True, exist_ok=True)
    with open(PREBUILD_LOG, "w") as log:
        config.stash[_prebuild] = subprocess.Popen(
            [str(CONTAINERS / "build.sh")],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=podman_environment(),
            start_new_session=True,
        )


def pytest_sessionfinish(session):
    """Wait for a background build that the selected tests did not need to the end."""
    build = session.config.stash.get(_prebuild, None)
    if build is not None:
        build.wait()


def unavailable(message):
    if in_ci():
        pytest.fail(f"container stage must run under CI: {message}")
    pytest.skip(f"container stage skipped: {message}")


def podman_environment(base=None):
    """Environment for podman and for CWL engines calling it: the wrapper first on PATH."""
    env = dict(os.environ if base is None else base)
    env["PATH"] = f"{WRAPPER_DIR}{os.pathsep}{env['PATH']}"
    env["CONTAINERS_CONF"] = str(CONTAINERS / "containers.conf")
    env["CONTAINER_ENGINE"] = "podman"
    return env


@pytest.fixture(scope="session")
def podman_env():
    if shutil.which("podman") is None:
        if os.geteuid() == 0 and shutil.which("apt-get"):
            setup = subprocess.run(
                [str(CONTAINERS / "setup-host.sh")], capture_output=True, text=True
            )
            if setup.returncode != 0:
                unavailable(f"installing podman failed: {setup.stderr.strip()[-500:]}")
        else:
            unavailable(
                "podman is not installed (as root on Debian/Ubuntu run containers/setup-host.sh)"
            )
    env = podman_environment()
    info = subprocess.run(["podman", "info"], capture_output=True, text=True, env=env)
    if info.returncode != 0:
        unavailable(f"podman does not work here: {info.stderr.strip()[-500:]}")
    return env


@pytest.fixture(scope="session")
def image(podman_env):
    """The step image tag, built by containers/build.sh (a no-op when up to date)."""
    build = subprocess.run(
        [str(CONTAINERS / "build.sh")], capture_output=True, text=True, env=podman_env
    )
    assert build.returncode == 0, f"image build failed:\n{build.stderr[-4000:]}"
    tag = subprocess.run(
        [str(CONTAINERS / "build.sh"), "--tag"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return tag


@pytest.fixture(scope="session")
def image_python(image, podman_env):
    """The Python version inside the image (provenance records it: proof a step ran there)."""
    cmd = ["podman", "run", "--rm", "--network", "none", image, "python3", "-c"]
    cmd.append("import platform; print(platform.python_version())")
    return subprocess.run(
        cmd, capture_output=True, text=True, env=podman_env, check=True
    ).stdout.strip()
