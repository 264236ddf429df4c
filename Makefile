# Gloss — `make run` serves the demo on SQLite, `make test` runs every test.
SHELL := /bin/bash
# The first Python >= 3.12 on the PATH (pyenv reads .python-version).
PYTHON ?= $(shell for p in python3.13 python3.12 python3 python; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint format setup demo clean check-python bench

check-python:
	@test -n "$(PYTHON)" || { echo "Gloss needs Python 3.12 or newer on the PATH (python3.12, python3.13 or python3)."; exit 1; }

$(BIN)/activate: | check-python
	$(PYTHON) -m venv $(VENV)

# Reinstall whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml $(BIN)/activate
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e . --group dev
	@touch $@

setup: $(VENV)/.installed

demo: setup
	DEBUG=1 $(BIN)/python manage.py migrate --no-input
	DEBUG=1 $(BIN)/python manage.py createcachetable
	DEBUG=1 $(BIN)/python manage.py import_seeds
	DEBUG=1 $(BIN)/python manage.py create_demo_users
	DEBUG=1 $(BIN)/python manage.py create_demo_class

run: demo
	@echo "Gloss is at http://127.0.0.1:$(PORT)/  (Ctrl-C stops it)"
	DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: setup
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/python -m pytest $(PYTEST_ARGS)

# Load benchmark (not CI): gunicorn + PostgreSQL + wrk, then the timed micro-benchmarks.
bench: setup
	$(BIN)/python tests/load/bench.py
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/python -m pytest tests/benchmarks -p no:cacheprovider \
		--benchmark-enable --benchmark-only --benchmark-columns=min,median,max,rounds

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
