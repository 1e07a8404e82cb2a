# Developer workflow. `make demo` and `make test` work on a fresh machine with only PyPI reachable.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: setup demo test test-pg lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

demo: setup  ## serve the bundled replica, crawl it into ./szwatch-demo/demo.db, print the summary
	$(VENV)/bin/szwatch demo
	@echo "szwatch is installed in $(VENV)/bin: put it on your PATH with '. $(VENV)/bin/activate', or call $(VENV)/bin/szwatch"

test: setup  ## the whole suite on SQLite (and PostgreSQL too when SZWATCH_TEST_PG is set)
	$(VENV)/bin/ruff check szwatch tests bench
	$(PY) -m pytest

test-pg: setup  ## start a local PostgreSQL (Debian packages) and run the suite on both databases
	SZWATCH_TEST_PG="$$(bash .ci/postgres.sh)" $(PY) -m pytest

lint: setup  ## ruff (style, imports) and mypy (types) over the package; CI runs it before the tests
	$(VENV)/bin/ruff check szwatch tests bench
	$(VENV)/bin/ruff format --check szwatch tests bench
	$(VENV)/bin/mypy

bench: setup
	$(PY) bench/crawl.py

clean:
	rm -rf $(VENV) szwatch-demo .pytest_cache .ruff_cache
