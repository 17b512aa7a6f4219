# The two commands the README names: `make run` and `make test`.
# Both create the virtual environment and install Polku into it on first use, from the lock
# files in requirements/ with every hash checked (docs/dependencies.md).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
DEPS    = $(VENV)/.locked-deps
LOCKS   = requirements/bootstrap.txt requirements/dev.txt requirements/runtime.txt
# Hash-checked wheels only: nothing is built from source, so no unhashed build dependency is
# fetched on the way.
PIP_LOCKED = $(BIN)/python -m pip install --quiet --require-hashes --only-binary :all:

.PHONY: run test lint typecheck unit bench screenshots clean lock lock-upgrade audit audit-offline

# 1. pip, setuptools and wheel at the locked versions (a new venv carries whatever the
#    interpreter bundles: setuptools 65.5 has published advisories);
# 2. every runtime and dev dependency at the locked versions;
# 3. Polku itself, editable, without dependencies and built by the setuptools installed in 1
#    (no isolated build environment fetched from the index);
# 4. pip check: the lock satisfies what pyproject.toml asks for (else: `make lock`).
$(DEPS): $(LOCKS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_LOCKED) -r requirements/bootstrap.txt
	$(PIP_LOCKED) -r requirements/dev.txt
	touch $(DEPS)

$(STAMP): pyproject.toml $(DEPS)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check || { echo "the lock files do not satisfy pyproject.toml: run make lock"; exit 1; }
	touch $(STAMP)

# Re-resolve the lock files (docs/dependencies.md): `make lock` after editing the dependencies
# in pyproject.toml keeps every pin that still fits; `make lock-upgrade` moves every pin to the
# newest release the ranges allow. The locks are for CPython 3.11 on x86-64 Linux.
UV_COMPILE = $(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--python-platform x86_64-unknown-linux-gnu --custom-compile-command 'make lock'

# The lock targets need only the locked tools (uv), not Polku installed: after an edit of the
# dependencies in pyproject.toml the lock is behind until they have run.
lock: | $(DEPS)
	$(UV_COMPILE) $(UPGRADE) --extra dev -o requirements/dev.txt \
		pyproject.toml requirements/tools.in requirements/bootstrap.in
	$(UV_COMPILE) -c requirements/dev.txt -o requirements/bootstrap.txt requirements/bootstrap.in
	$(UV_COMPILE) -c requirements/dev.txt -o requirements/runtime.txt pyproject.toml

lock-upgrade: UPGRADE = --upgrade
lock-upgrade: lock

# The offline audit: every locked and installed package against the dated advisory snapshot
# in ../shared/advisories/ (tools/advisory_audit.py). `make audit` runs pip-audit against an
# online service instead where one answers, and says so when none does.
audit-offline: $(STAMP)
	$(BIN)/python -m tools.advisory_audit

audit: $(STAMP)
	$(BIN)/python -m tools.online_audit

run: $(STAMP)
	$(BIN)/polku demo
	$(BIN)/polku serve --demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python -m bench.view
	$(BIN)/python -m bench.commands
	$(BIN)/python -m bench.api_load
	$(BIN)/python -m bench.rebuild
	$(BIN)/python -m bench.analytics
	$(BIN)/python -m bench.rotation
	$(BIN)/python -m bench.feed

screenshots: $(STAMP)
	$(BIN)/python -m tests.browser.screenshots

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache polku.db polku.db-*
