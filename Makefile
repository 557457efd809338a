# Common commands. `make setup repro` is the whole pipeline from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
# Everything `make lint` checks and `make format` rewrites.
CODE := mnist_cnn stages tests benchmarks
# The model `make predict` asks; any model declared in params.yaml, or a .keras file.
MODEL ?= B_adj2

.PHONY: setup repro test test-fast lint format plots predict

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

## setup: create .venv and install the project with its test tools
setup: $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,metal,jax]"

## repro: run the whole pipeline (only the stages whose inputs changed)
repro:
	dvc repro

## test: the full test suite, slow tests included (what CI runs)
test:
	$(BIN)/python -m pytest -q

## test-fast: every test not marked slow, for the edit-and-check loop
test-fast:
	$(BIN)/python -m pytest -q -m "not slow"

## lint: style, layout and type checks of the pipeline code (what .ci/run checks)
lint:
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/mypy mnist_cnn stages

## format: rewrite what `make lint` checks in ruff's layout and apply ruff's safe fixes
format:
	$(BIN)/ruff format $(CODE)
	$(BIN)/ruff check --fix $(CODE)

## plots: every plot in dvc_plots/index.html; the PNG curves show even offline
plots:
	dvc plots show --out dvc_plots

## predict: the digit in each picture, e.g. make predict IMAGES="my_digit.png" [MODEL=B]
predict:
	$(if $(IMAGES),,$(error give the pictures: make predict IMAGES="my_digit.png"))
	$(BIN)/mnist-predict $(MODEL) $(IMAGES)
