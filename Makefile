# Two commands matter (see README): `make demo` and `make test`. Both set everything up first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock setup.py src/hotline/hashes/_pdqmih.c | cksum | cut -d' ' -f1)

.PHONY: setup demo test lint bench lock clean

$(STAMP): pyproject.toml requirements.lock setup.py src/hotline/hashes/_pdqmih.c
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "hotline needs Python 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

setup: $(STAMP)  ## create .venv with the locked dependencies

demo: $(STAMP)  ## run the pipeline on the synthetic demo world (SQLite, offline)
	$(BIN)/hotline demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

test: lint  ## lint, type-check, and run every test on SQLite and PostgreSQL (two workers)
	$(BIN)/pytest -n 2 --dist loadfile --durations=30

bench: $(STAMP)  ## speed measurements (see docs/benchmarks.md)
	$(BIN)/python -m benchmarks.ingest
	$(BIN)/python -m benchmarks.synth

lock:  ## re-resolve requirements.lock from pyproject.toml in a scratch venv
	rm -rf /tmp/hotline-lock && $(PYTHON) -m venv /tmp/hotline-lock
	/tmp/hotline-lock/bin/pip install --quiet -e '.[dev]'
	/tmp/hotline-lock/bin/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf $(VENV) demo world benchmarks/out .mypy_cache .ruff_cache .pytest_cache
