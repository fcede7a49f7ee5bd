# prefsim: the single entry point. `make demo` and `make test` work on a fresh clone with
# only Python 3.11+ and pip: they create .venv and install the project if needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= out/demo
PORT ?= 8501
# Test workers (pytest-xdist): one per core by default; WORKERS=0 runs in this process.
# loadscope keeps the tests of a module on one worker, but for the long independent checks
# listed in tests/conftest.py (SPREAD), which the workers share out one by one.
WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -n $(WORKERS) --dist loadscope --durations=25

.PHONY: help setup demo test test-fast test-slow lint bench reference dashboard clean

help:
	@echo "make demo       set up, run scenarios/demo.yaml, print its KPI table"
	@echo "make test       set up, run the whole test suite (fast + slow tiers; WORKERS=auto)"
	@echo "make test-fast  fast tier only"
	@echo "make lint       ruff and mypy"
	@echo "make bench      benchmarks (medians and ratios)"
	@echo "make reference  regenerate docs/scenario-reference.md"
	@echo "make dashboard  start the dashboard on http://127.0.0.1:$(PORT) (PORT=...)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,bench,dev]"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/prefsim run scenarios/demo.yaml --replications 5 --seed 1 --out $(OUT) --force

test: $(STAMP)
	$(PYTEST)

test-fast: $(STAMP)
	$(PYTEST) -m "not slow"

test-slow: $(STAMP)
	$(PYTEST) -m slow

lint: $(STAMP)
	$(BIN)/ruff check sim tests benchmarks dashboards
	$(BIN)/mypy sim

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_desk.py
	$(BIN)/python benchmarks/bench_race.py
	$(BIN)/python benchmarks/bench_bots.py
	$(BIN)/python benchmarks/bench_sweep.py
	$(BIN)/python benchmarks/bench_probe.py
	$(BIN)/python benchmarks/bench_workload.py
	$(BIN)/python benchmarks/bench_lean.py
	$(BIN)/python benchmarks/bench_booking_life.py

dashboard: $(STAMP)
	$(BIN)/prefsim dashboard --port $(PORT)

reference: $(STAMP)
	$(BIN)/prefsim reference --out docs/scenario-reference.md

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
