# Two commands for a fresh clone: `make run` and `make test`. Only Python 3.11 is needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint install bench clean

$(BIN)/paperwire: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(BIN)/paperwire

install: $(BIN)/paperwire

run: install
	$(BIN)/paperwire run

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check bot store adapters tests bench
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) *.egg-info
