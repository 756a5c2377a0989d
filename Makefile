# The compendium's commands. `make book` builds the website, `make test` runs the tests.
# Both create or refresh the local virtual environment .venv from the pinned lock first.
# Needs only Python 3.12 with pip (pyenv reads .python-version); everything else is installed here.

PYTHON ?= $(shell command -v python3.12 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
LOCK := requirements/lock.txt
STAMP := $(VENV)/.synced
export PYTENSOR_FLAGS ?= compiledir=$(CURDIR)/.cache/pytensor
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: book test bench lock venv clean-book check-python browser plan recovery sbc sbc-declared fit-asset

# ---- environment -------------------------------------------------------------------------
NO_PYTHON := trustmodels needs Python 3.12, and '$(PYTHON)' does not run (with pyenv: keep \
  .python-version and run pyenv install 3.12; or run make PYTHON=/path/to/python3.12)
check-python:
	@$(PYTHON) -c '' >/dev/null 2>&1 || { echo "$(NO_PYTHON)" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if v == (3, 12) else \
	  "trustmodels needs Python 3.12 (found %d.%d at $(PYTHON)); install it (pyenv install 3.12) or run make PYTHON=/path/to/python3.12" % v)'

$(STAMP): $(LOCK) pyproject.toml trustmodels/_version.py | check-python
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --python $(BIN)/python $(LOCK)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP)

# Regenerate the lock after editing pyproject.toml (needs the package index).
lock: | check-python
	@test -x $(BIN)/uv || { $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install --quiet uv==$(UV_VERSION); }
	$(BIN)/uv pip compile pyproject.toml --extra book --extra test \
	  --override requirements/overrides.txt --python-version 3.12 \
	  --python-platform x86_64-manylinux_2_28 --generate-hashes -o $(LOCK)
	$(BIN)/python requirements/make_environment.py

# ---- the two commands --------------------------------------------------------------------
book: $(STAMP)
	$(BIN)/python -m booktools.bookbuild

# Runs the tests and the docstring examples of the package (naming the paths replaces testpaths).
test: $(STAMP) browser
	$(BIN)/python -m pytest --doctest-modules --durations=25 tests trustmodels booktools

# The browser tests of the built site drive Debian's chromium (Playwright downloads nothing).
# Installed here when missing and running as root; otherwise one line says how. Point
# TRUSTMODELS_CHROMIUM at another Chromium/Chrome binary to use that instead.
browser:
	@test -n "$$TRUSTMODELS_CHROMIUM" || test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "browser tests need chromium: sudo apt-get install -y chromium (or set TRUSTMODELS_CHROMIUM=/path/to/chrome)"; \
	  fi; }

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_sampler.py

# The design analysis of the planning chapter (about an hour on 2 cores; resumable: run it again
# after an interruption). The book reads the stored copy in data/derived/plan and refuses it when
# the plan or the code that decides a result changed.
PLAN_OUT ?= build/plan
plan: $(STAMP)
	$(BIN)/python -m trustmodels plan --out $(PLAN_OUT) --nuts-check 2
	$(BIN)/python -m trustmodels.planning.stored $(PLAN_OUT) data/derived/plan

# Recovery of the simulated survey's contrasts across 200 simulated surveys and one large survey
# (the model's estimand), for the chapter "Checking the models" (minutes on 2 cores). The book
# reads data/derived/recovery, refuses it when the settings, the simulation's parameters or the
# version changed, and recomputes two of the surveys.
recovery: $(STAMP)
	$(BIN)/python -m trustmodels.simulation.seed_recovery data/derived/recovery

# Simulation-based calibration of the main model at a realistic size (100 SIMULATED surveys of
# 300 respondents; about 100 minutes on 2 cores; resumable: run it again after an
# interruption). This is the run of build_ordinal_model (data/derived/sbc; the tests pin its
# key); the book reads the declared design's run below.
sbc: $(STAMP)
	$(BIN)/python -m trustmodels.simulation.sbc_stored build/sbc data/derived/sbc

# The same SBC of the main model built from the simulated survey's declared design (projected
# form): data/derived/sbc_declared. The book reads it, refuses it when the settings, the model
# or the sampler's libraries changed, and recomputes one simulation. About as long as `make sbc`.
sbc-declared: $(STAMP)
	$(BIN)/python -m trustmodels.simulation.sbc_stored build/sbc data/derived/sbc_declared \
		--model declared

# The fit-cache asset of a release: the fits the last `make book` used (README, release steps).
fit-asset: $(STAMP)
	$(BIN)/python -m booktools.fitasset pack --out dist

clean-book:
	rm -rf _build
