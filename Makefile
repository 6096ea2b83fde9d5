# Two commands on a fresh machine with Python 3.11 and make:
#   make run   – install, migrate, load the demo city, serve on http://127.0.0.1:8000
#   make test  – install (with test tools) and run the linters, the type checker and the tests
# Settings come from the environment and .env, e.g. PORT=8100 DATABASE_URL=sqlite:////tmp/x.db make run

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test install install-dev lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[postgres]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev,postgres,rasa]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/stadtbot db upgrade
	$(BIN)/stadtbot demo load
	exec $(BIN)/stadtbot serve --no-migrate

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
