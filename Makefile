# calibpipe-tasks: `make run` runs the molecular-atmosphere workflow on bundled sample data,
# `make test` runs the whole test suite. Both create the virtual environment first.

SHELL := /bin/bash
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
RUN_OUT ?= run-output
WORKFLOW ?= cwl/workflows/molecular-atmosphere.cwl
JOB ?= cwl/jobs/molecular-atmosphere.yml
CONTAINER ?=
PYTEST_ARGS ?=
# simtools (SimPipe) version whose own validators the exchange tests run (tests/io/test_simtools_acceptance.py)
SIMTOOLS_VERSION ?= 0.38.3
SIMTOOLS_WHEEL_DIR := $(VENV)/simtools-wheel
SIMTOOLS_STAMP := $(SIMTOOLS_WHEEL_DIR)/.gammasimtools-$(SIMTOOLS_VERSION)
export PATH := $(BIN):$(PATH)

# A Python >= 3.12 (ctapipe >= 0.29 needs it): $PYTHON, then PATH, then pyenv's versions.
define FIND_PYTHON
for c in "$${PYTHON:-}" python3.12 python3.13 python3; do \
  [ -n "$$c" ] || continue; \
  if command -v "$$c" >/dev/null 2>&1 && "$$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
    command -v "$$c"; exit 0; fi; \
done; \
if command -v pyenv >/dev/null 2>&1; then \
  for p in "$$(pyenv root)"/versions/3.1[2-9]*/bin/python3; do \
    if [ -x "$$p" ]; then echo "$$p"; exit 0; fi; done; fi; \
exit 1
endef

.PHONY: install run test lint format bench images clean conformance conformance-local check-numbers \
	slurm-up slurm-down campaign

install: $(STAMP)

$(STAMP): pyproject.toml
	@py="$$($(FIND_PYTHON))" || { echo "error: no Python >= 3.12 found (set PYTHON=/path/to/python3.12)" >&2; exit 1; }; \
	echo "creating $(VENV) with $$py"; \
	[ -x $(VENV)/bin/python ] || "$$py" -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all,test]'
	$(BIN)/python -m calibpipe_tasks.numba_cache
	@touch $(STAMP)

# CONTAINER=podman|docker runs every step in the step image (built first by `make images`);
# for podman the wrapper in containers/podman-wrapper/ comes first on PATH (DESIGN.md §5).
CONTAINER_ENV = $(if $(filter podman,$(CONTAINER)),PATH=$(CURDIR)/containers/podman-wrapper:$$PATH CONTAINERS_CONF=$${CONTAINERS_CONF:-$(CURDIR)/containers/containers.conf})

run: $(STAMP) $(if $(CONTAINER),images)
	@rm -rf $(RUN_OUT) && mkdir -p $(RUN_OUT)
	$(CONTAINER_ENV) $(BIN)/cwltool $(if $(CONTAINER),--$(CONTAINER),--no-container) --outdir $(RUN_OUT) $(WORKFLOW) $(JOB)
	@echo; echo "outputs of $(WORKFLOW) are in $(CURDIR)/$(RUN_OUT)/:"; ls -1 $(RUN_OUT)

# simtools >= 0.35 requires Python >= 3.14, which these machines do not have: the tests import
# only its pure numpy/astropy modules (ECSV asset validator, sim_telarray table writer) and its
# schemas from the wheel, downloaded here (about 1 MB, no dependencies installed).
$(SIMTOOLS_STAMP): $(STAMP)
	$(BIN)/python -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.14 \
	  'gammasimtools==$(SIMTOOLS_VERSION)' -d $(SIMTOOLS_WHEEL_DIR)
	@touch $@

test: $(STAMP) $(SIMTOOLS_STAMP)
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# The step image calibpipe-tasks:<version> (containers/build.sh: offline, cached; docker where a
# daemon runs, else podman; CONTAINER=podman|docker chooses).
images: $(STAMP)
	$(if $(CONTAINER),CONTAINER_ENGINE=$(CONTAINER)) containers/build.sh

# The conformance list (tests/cwl/conformance_tests.yml: names, checksums of exact products) and
# the numbers of the float products (tests/cwl/conformance_numbers.json), from a reference run:
# regenerate after changing a tool, a job or a product (JOBS="name ..." regenerates only those
# entries and keeps the others).
conformance: $(STAMP)
	$(BIN)/python tests/cwl/make_conformance.py $(if $(JOBS),--jobs $(JOBS))

# This machine's checksums of every product, for checking engines here byte for byte:
#   cwltest --test build/conformance/conformance_tests.local.yml --tool toil-cwl-runner -- --no-container
conformance-local: $(STAMP)
	$(BIN)/python tests/cwl/make_conformance.py --local build/conformance/conformance_tests.local.yml

# Any engine against the committed numbers: make check-numbers RUNNER=toil-cwl-runner
# [RUNNER_ARGS="--podman"] [PORTABLE=1: as on a CPU with only the x86-64 baseline]
RUNNER ?= cwltool
RUNNER_ARGS ?= --no-container
check-numbers: $(STAMP)
	$(BIN)/python tests/cwl/make_conformance.py --check-numbers $(RUNNER) $(if $(PORTABLE),--portable) -- $(RUNNER_ARGS)

# A one-node Slurm cluster on this machine (root; installs slurm-wlm and munge if needed) for
# the Slurm test stage (tests/slurm) and for Toil's Slurm batch system (docs/scale-out.md):
#   make slurm-up && export SLURM_CONF=$${CALIBPIPE_SLURM_DIR:-/var/tmp/calibpipe-slurm}/slurm.conf
# A campaign of nights with Toil, progress per night and a summary table at the end
# (docs/campaign.md): CAMPAIGN_JOB=job.yml (default: 8 generated ERA5 nights, one without
# data), CAMPAIGN_OUT=dir, BATCH_SYSTEM=single_machine|slurm.
CAMPAIGN_JOB ?=
CAMPAIGN_OUT ?= campaign-output
BATCH_SYSTEM ?= single_machine
campaign: $(STAMP)
	@job="$(CAMPAIGN_JOB)"; \
	if [ -z "$$job" ]; then job="$$($(BIN)/python tests/data/generate_meteo_samples.py --campaign build/campaign-sample)"; fi; \
	rm -rf $(CAMPAIGN_OUT) $(CAMPAIGN_OUT).work; \
	$(BIN)/python -m calibpipe_tasks.campaign_runner "$$job" --outdir $(CAMPAIGN_OUT) --batch-system $(BATCH_SYSTEM)

slurm-up:
	tests/slurm/start_slurm.sh

slurm-down:
	tests/slurm/stop_slurm.sh

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(RUN_OUT) .pytest_cache build *.egg-info
