# Common commands. `make setup repro` is the whole pipeline from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: setup repro test lint

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

## setup: create .venv and install the project with its test tools
setup: $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,metal]"

## repro: run the whole pipeline (only the stages whose inputs changed)
repro:
	dvc repro

## test: the full test suite, slow tests included
test:
	$(BIN)/python -m pytest -q

## lint: style and type checks of the pipeline code
lint:
	$(BIN)/ruff check stages tests
	$(BIN)/mypy stages
