# Common commands. `make setup repro` is the whole pipeline from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
# The model `make predict` asks; any model declared in params.yaml, or a .keras file.
MODEL ?= B_adj2

.PHONY: setup lock repro test lint format plots predict

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

## setup: create .venv, install this platform's pinned dependencies (requirements/), then the project
setup: $(BIN)/python
	$(BIN)/python -m tools.install

## lock: re-resolve pyproject.toml's dependencies into requirements/, one hashed file per platform
lock:
	$(BIN)/python -m tools.lock

## repro: run the whole pipeline (only the stages whose inputs changed)
repro:
	dvc repro

## test: the full test suite, slow tests included
test:
	$(BIN)/python -m pytest -q

## lint: style, layout and type checks of the pipeline code (what .ci/run checks)
lint:
	$(BIN)/ruff check stages tests benchmarks tools
	$(BIN)/ruff format --check stages tests benchmarks tools
	$(BIN)/mypy stages

## format: rewrite stages/ in ruff's layout and apply ruff's safe fixes
format:
	$(BIN)/ruff format stages
	$(BIN)/ruff check --fix stages tests

## plots: every plot in dvc_plots/index.html; the PNG curves show even offline
plots:
	dvc plots show --out dvc_plots

## predict: the digit in each picture, e.g. make predict IMAGES="my_digit.png" [MODEL=B]
predict:
	$(if $(IMAGES),,$(error give the pictures: make predict IMAGES="my_digit.png"))
	$(BIN)/python -m stages.predict $(MODEL) $(IMAGES)
