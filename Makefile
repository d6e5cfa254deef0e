# pgxdl: the two commands that do everything on a fresh machine.
#   make train   create .venv if needed, install, build the simulated cohort, train, evaluate
#   make test    create .venv if needed, install, run the test suite
#   make notebooks  execute notebooks/*.ipynb and publish them with figures in docs/notebooks/
#
# TORCH_SPEC chooses the torch build installed first. The default, torch==2.13.0, is the
# CPU wheel these development machines hold on disk. On a GPU machine pick a CUDA build:
#   make train TORCH_SPEC="torch --index-url https://download.pytorch.org/whl/cu124"
# (or any pip requirement string); an already installed torch that satisfies it is kept.

PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
PY := $(VENV)/bin/python
STAMP := $(VENV)/.pgxdl-installed
RUN ?= runs/quickstart
PYTEST_ARGS ?=

.PHONY: train test lint bench clean venv notebooks

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet $(TORCH_SPEC)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

train: $(STAMP)
	$(PY) -m pgxdl quickstart --out $(RUN)

test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadgroup -q $(PYTEST_ARGS)

notebooks: $(STAMP)
	$(PY) -m pip install --quiet -e ".[notebooks]"
	$(PY) notebooks/render.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf runs wandb lightning_logs .pytest_cache
