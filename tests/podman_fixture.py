"""The step image and podman for test stages that run steps in containers.

Shared by the container stage (tests/containers) and the Slurm stage (tests/slurm, whose
batch jobs start the steps' containers). Where podman cannot be had the stage is skipped with
a clear message; under CI (``CI=true``) that is a failure (``.ci/run`` installs podman with
containers/setup-host.sh). The image is built once by containers/build.sh (cached).
"""

import os
import shutil
import subprocess

import pytest
from conftest import ROOT, in_ci

CONTAINERS = ROOT / "containers"
WRAPPER_DIR = CONTAINERS / "podman-wrapper"


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
