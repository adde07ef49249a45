#!/usr/bin/env bash
# Build the calibpipe-tasks step image (`make images`), offline and cached.
#
#   containers/build.sh            build (or confirm up to date) calibpipe-tasks:<version>
#   containers/build.sh --tag      print the image tag and exit
#
# Environment (all optional):
#   CONTAINER_ENGINE  docker | podman (default: docker if a Docker daemon answers, else podman)
#   BASE_IMAGE        base image; default: the public python:3.12-slim if it can be pulled,
#                     otherwise a Debian trixie base built here with mmdebstrap (no registry
#                     needed; Python 3.13), tagged localhost/calibpipe-base:trixie
#   DEBIAN_MIRROR     mirror for that base (default http://deb.debian.org/debian)
#   PYTHON            Python used to build the wheel and download the dependencies
#                     (default .venv/bin/python)
#
# Steps: (1) the project's wheel; (2) the wheels of all its dependencies ([all] extra) for the
# base image's Python version and platform, into build/containers/context-cpXY/wheels; (3)
# `<engine> build --network none` from containers/Dockerfile. The image carries a label with a
# fingerprint of the Dockerfile, the base image and the project's sources (pyproject.toml and
# src/): an unchanged fingerprint skips all of it.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
BUILD="$ROOT/build/containers"
LABEL_KEY="org.calibpipe-tasks.fingerprint"
LOCAL_BASE="localhost/calibpipe-base:trixie"
PUBLIC_BASE="docker.io/library/python:3.12-slim"

log() { echo "[images] $*" >&2; }
die() { echo "[images] error: $*" >&2; exit 1; }

# the single source of the version: __version__ in src/calibpipe_tasks/__init__.py
VERSION="$("$PY" -c 'import ast, sys
for node in ast.parse(open(sys.argv[1]).read()).body:
    if isinstance(node, ast.Assign) and node.targets[0].id == "__version__":
        print(node.value.value)' "$ROOT/src/calibpipe_tasks/__init__.py")"
[ -n "$VERSION" ] || die "no __version__ in src/calibpipe_tasks/__init__.py"
IMAGE="${IMAGE:-calibpipe-tasks:$VERSION}"
if [ "${1:-}" = "--tag" ]; then echo "$IMAGE"; exit 0; fi

# One build at a time (parallel test workers may call this together); the second finds the
# image up to date.
mkdir -p "$BUILD"
exec 9>"$BUILD/.lock"
flock 9

# --- container engine ------------------------------------------------------------------------
ENGINE="${CONTAINER_ENGINE:-}"
if [ -z "$ENGINE" ]; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then ENGINE=docker
  elif command -v podman >/dev/null 2>&1; then ENGINE=podman
  else die "neither a Docker daemon nor podman is available (apt-get install podman runc, see containers/setup-host.sh)"; fi
fi
if [ "$ENGINE" = podman ]; then
  export CONTAINERS_CONF="${CONTAINERS_CONF:-$HERE/containers.conf}"
fi
image_exists() { "$ENGINE" image inspect "$1" >/dev/null 2>&1; }

# --- base image ------------------------------------------------------------------------------
build_local_base() {
  image_exists "$LOCAL_BASE" && return 0
  command -v mmdebstrap >/dev/null 2>&1 || die "no registry and no mmdebstrap to build a base image (apt-get install mmdebstrap)"
  mkdir -p "$BUILD"
  log "building $LOCAL_BASE from Debian packages (mmdebstrap trixie)"
  mmdebstrap --quiet --variant=essential --include=python3-venv,ca-certificates,libstdc++6,libgomp1 \
    trixie "$BUILD/base.tar" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
  "$ENGINE" import --quiet "$BUILD/base.tar" "$LOCAL_BASE" >/dev/null
  rm -f "$BUILD/base.tar"
}
BASE="${BASE_IMAGE:-}"
if [ -z "$BASE" ]; then
  if image_exists "$PUBLIC_BASE" || "$ENGINE" pull -q "$PUBLIC_BASE" >/dev/null 2>&1; then
    BASE="$PUBLIC_BASE"
  else
    log "$PUBLIC_BASE cannot be pulled (no registry): using a Debian base built here"
    build_local_base
    BASE="$LOCAL_BASE"
  fi
elif [ "$BASE" = "$LOCAL_BASE" ]; then
  build_local_base
fi
image_exists "$BASE" || "$ENGINE" pull -q "$BASE" >/dev/null || die "base image $BASE not available"
PYVER="$("$ENGINE" run --rm --network none "$BASE" python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
CP="cp${PYVER/./}"
log "engine $ENGINE, base $BASE (Python $PYVER), image $IMAGE"

# --- up to date? ----------------------------------------------------------------------------
# Fingerprint of what goes into the image: the Dockerfile, the base image and the sources of
# the project's wheel (pyproject.toml, src/). Unchanged: nothing to do.
fingerprint="$("$PY" - "$ROOT" "$("$ENGINE" image inspect --format '{{.Id}}' "$BASE")" <<'EOF'
import hashlib, pathlib, sys
root = pathlib.Path(sys.argv[1])
h = hashlib.sha256(sys.argv[2].encode())
files = [root / "containers/Dockerfile", root / "pyproject.toml"]
files += [root / "tests/data/muon/run201.dl1.h5"]  # the warm-up run copied into the context
files += sorted(
    p for p in (root / "src").rglob("*")
    if p.is_file() and "__pycache__" not in p.parts and ".egg-info" not in str(p)
)
for f in files:
    h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes())
print(h.hexdigest()[:32])
EOF
)"
current="$("$ENGINE" image inspect --format "{{ index .Labels \"$LABEL_KEY\" }}" "$IMAGE" 2>/dev/null || true)"
if [ "$current" = "$fingerprint" ]; then
  log "$IMAGE is up to date (fingerprint $fingerprint)"
  exit 0
fi

# --- wheels ----------------------------------------------------------------------------------
CONTEXT="$BUILD/context-$CP"
WHEELS="$CONTEXT/wheels"
mkdir -p "$WHEELS"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
"$PY" -m pip wheel --quiet --no-deps --wheel-dir "$tmp" "$ROOT" >"$tmp/wheel.log" 2>&1 \
  || { cat "$tmp/wheel.log" >&2; die "building the project wheel failed"; }
wheel="$(ls "$tmp"/calibpipe_tasks-*.whl)"
rm -f "$WHEELS"/calibpipe_tasks-*.whl
cp "$wheel" "$WHEELS/"
wheel="$WHEELS/$(basename "$wheel")"
# the sample muon run on which the image warms up numba's cache for the muon steps (Dockerfile)
mkdir -p "$CONTEXT/warm-up"
cp "$ROOT/tests/data/muon/run201.dl1.h5" "$CONTEXT/warm-up/run.dl1.h5"

# The dependency set: the wheel's Requires-Dist and the target Python; download again only
# when it changes.
requires="$("$PY" - "$wheel" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
    print("\n".join(l for l in z.read(meta).decode().splitlines() if l.startswith("Requires-Dist")))
EOF
)"
deps_stamp="$(printf '%s\n%s\n%s\n' "$requires" "$CP" "$(uname -m)" | sha256sum | cut -c1-16)"
if [ "$(cat "$CONTEXT/deps.stamp" 2>/dev/null)" != "$deps_stamp" ]; then
  log "downloading dependency wheels for Python $PYVER into $WHEELS"
  arch="$(uname -m)"
  platforms=(--platform any --platform "manylinux2014_$arch")
  for minor in $(seq 17 36); do platforms+=(--platform "manylinux_2_${minor}_$arch"); done
  find "$WHEELS" -name '*.whl' ! -name 'calibpipe_tasks-*' -delete
  "$PY" -m pip download --quiet --only-binary=:all: --python-version "$PYVER" \
    --implementation cp --abi "$CP" --abi abi3 --abi none "${platforms[@]}" \
    --dest "$WHEELS" "${wheel}[all]" 2> >(grep -v 'is ignored: it is neither a file' >&2)
  echo "$deps_stamp" > "$CONTEXT/deps.stamp"
fi

# --- build ------------------------------------------------------------------------------------
log "building $IMAGE (offline, fingerprint $fingerprint)"
start=$SECONDS
old_id="$("$ENGINE" image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)"
layers=(); [ "$ENGINE" = podman ] && layers=(--layers=false)  # no 1 GB intermediate layers
"$ENGINE" build --quiet --network none "${layers[@]}" -f "$HERE/Dockerfile" \
  --build-arg "BASE_IMAGE=$BASE" --build-arg "VERSION=$VERSION" \
  --label "$LABEL_KEY=$fingerprint" -t "$IMAGE" "$CONTEXT" >/dev/null
# the image this one replaces (now untagged) is dropped; an image still used by a container stays
[ -n "$old_id" ] && "$ENGINE" rmi "$old_id" >/dev/null 2>&1 || true
size="$("$ENGINE" image inspect --format '{{.Size}}' "$IMAGE")"
log "built $IMAGE in $((SECONDS - start)) s, $((size / 1000000)) MB"
