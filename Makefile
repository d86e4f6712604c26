# All set-up happens here: `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DB ?= pohang.db

.PHONY: install system-packages js demo test reliability docs cli-reference lint format clean

$(BIN)/netledger: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

install: $(BIN)/netledger

# PostgreSQL 15 (tests start a throwaway server), Chromium and a Korean font (page tests), if missing.
system-packages:
	bash scripts/install-system-packages

demo: install
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(BIN)/netledger --db $(DEMO_DB) demo
	$(BIN)/netledger --db $(DEMO_DB) network draw --out pohang.png --as-of 2019-12-31 --label ko
	$(BIN)/netledger --db $(DEMO_DB) network html --out pohang.html --as-of 2019-08-01
	@echo "picture: $(CURDIR)/pohang.png"
	@echo "web page: $(CURDIR)/pohang.html (open it in a browser; it works offline)"

# The JavaScript readers the export tests use (graphology, as Gephi Lite uses it), from the npm registry.
tests/js/node_modules/.package-lock.json: tests/js/package.json tests/js/package-lock.json
	npm ci --prefix tests/js --no-audit --no-fund --loglevel=error

js: tests/js/node_modules/.package-lock.json

# The checks first (ruff, mypy; strict on domain/), then the whole suite.
test: lint system-packages js
	$(BIN)/python -m pytest

# The full reliability suites (make test runs their fast variants) and their summary table.
reliability: install system-packages
	rm -f .reliability.jsonl
	NETLEDGER_RELIABILITY=full NETLEDGER_RELIABILITY_REPORT=$(CURDIR)/.reliability.jsonl \
		$(BIN)/python -m pytest tests/reliability -q; status=$$?; \
		$(BIN)/python -m tests.reliability.summary .reliability.jsonl; summary=$$?; \
		if [ $$status -ne 0 ]; then echo "pytest reported failures (above): the table covers only what ran"; fi; \
		[ $$status -eq 0 ] && [ $$summary -eq 0 ]

docs: install
	$(BIN)/mkdocs build --strict

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy --strict -p domain

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) tests/js/node_modules .pytest_cache .mypy_cache .ruff_cache *.egg-info site .reliability.jsonl $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm $(DEMO_DB).graph pohang.png pohang.html

cli-reference: install
	$(BIN)/python scripts/cli_reference.py
