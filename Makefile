# casetrack: `make run` serves on the embedded store, `make test` runs the whole suite.
# Both create .venv and install what they need on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BASE_STAMP := $(VENV)/.installed-base
DEV_STAMP := $(VENV)/.installed-dev
LOCAL_POSTGRES_URL := postgresql://postgres@127.0.0.1:5432/postgres

.PHONY: run test bench lint rules config install clean lock browser screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs the exact versions in the lock files (pip-tools), then casetrack itself without
# resolving again; `pip check` fails when setup.cfg asks for something the lock lacks
# (run `make lock`). setup.cfg keeps the compatible ranges, the lock files the versions.
$(BASE_STAMP): requirements.lock setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check || (echo "requirements.lock is stale: run make lock"; exit 1)
	touch $@

$(DEV_STAMP): requirements-dev.lock setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e '.[dev]'
	$(BIN)/python -m pip check || (echo "requirements-dev.lock is stale: run make lock"; exit 1)
	touch $@ $(BASE_STAMP)

# Re-resolve the lock files from setup.cfg's ranges (newest versions within them); add
# --upgrade-package NAME to move one package. Commit both files.
PIP_COMPILE = $(BIN)/pip-compile --quiet --strip-extras --annotation-style line \
	--no-emit-index-url --no-emit-find-links
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet 'pip-tools>=7.4,<8'
	$(PIP_COMPILE) --output-file requirements.lock setup.cfg
	$(PIP_COMPILE) --extra dev --output-file requirements-dev.lock setup.cfg

install: $(BASE_STAMP)

run: $(BASE_STAMP)
	$(BIN)/casetrack serve

# PostgreSQL tests use CASETRACK_TEST_POSTGRES_URL (default: the local server); each run
# makes its own database. Under CI=true a PostgreSQL that does not answer fails the run.
# ruff and mypy (`make lint`) run first: a type or lint error fails the run too.
# The suite runs in TEST_WORKERS processes (pytest-xdist; `make test TEST_WORKERS=0` runs
# it in one): each worker makes its own PostgreSQL database and temporary directories,
# and worksteal moves queued tests off a worker stuck behind a long one.
TEST_WORKERS ?= auto
# The pages are tested in Debian's chromium through chromium-driver (tests/browser/);
# located on the PATH, installed with apt-get when missing (never downloaded by pip).
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq chromium chromium-driver; }

screenshots: $(DEV_STAMP) browser
	mkdir -p var/screenshots
	CASETRACK_SCREENSHOTS=var/screenshots CI=true $(BIN)/python -m pytest -q tests/browser

test: $(DEV_STAMP) browser lint
	CASETRACK_TEST_POSTGRES_URL="$${CASETRACK_TEST_POSTGRES_URL:-$(LOCAL_POSTGRES_URL)}" \
		$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

# Issue 17's aims table first (benchmarks.http_aims, about two minutes) and the stack's
# floor beside it (benchmarks.stack_floor, about three), then the others.
bench: $(DEV_STAMP)
	CASETRACK_TEST_POSTGRES_URL="$${CASETRACK_TEST_POSTGRES_URL:-$(LOCAL_POSTGRES_URL)}" \
		$(BIN)/python -m benchmarks.http_aims
	CASETRACK_TEST_POSTGRES_URL="$${CASETRACK_TEST_POSTGRES_URL:-$(LOCAL_POSTGRES_URL)}" \
		$(BIN)/python -m benchmarks.stack_floor
	CASETRACK_TEST_POSTGRES_URL="$${CASETRACK_TEST_POSTGRES_URL:-$(LOCAL_POSTGRES_URL)}" \
		$(BIN)/python -m benchmarks.write_path
	CASETRACK_TEST_POSTGRES_URL="$${CASETRACK_TEST_POSTGRES_URL:-$(LOCAL_POSTGRES_URL)}" \
		$(BIN)/python -m benchmarks.sen2 --journeys 100000 --store postgres --projection
	CASETRACK_TEST_POSTGRES_URL="$${CASETRACK_TEST_POSTGRES_URL:-$(LOCAL_POSTGRES_URL)}" \
		$(BIN)/python -m benchmarks.read_path --events 1000000 --store both
	$(BIN)/python -m benchmarks.reports --journeys 100000 --authorities 1,20 \
		--url "$${CASETRACK_TEST_POSTGRES_URL:-$(LOCAL_POSTGRES_URL)}"
	$(BIN)/python -m benchmarks.outbox --journeys 2000
	$(BIN)/python -m benchmarks.worktray
	$(BIN)/python -m benchmarks.worktray \
		--url "$${CASETRACK_TEST_POSTGRES_URL:-$(LOCAL_POSTGRES_URL)}"
	$(BIN)/python -m benchmarks.vault_keys

lint: $(DEV_STAMP)
	$(BIN)/ruff check domain application infrastructure web tests benchmarks
	$(BIN)/mypy domain application infrastructure web benchmarks

rules: $(DEV_STAMP)
	$(BIN)/python -m tests.rulebook --write

config: $(DEV_STAMP)
	$(BIN)/python -m tests.configuration --write

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
