# The two commands: `make run` and `make test`. Everything they need is set up from this file.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# `make test`: test processes side by side (pytest-xdist); auto is one per core, 0 runs every test in one.
TEST_WORKERS ?= auto

.PHONY: run test setup migrate clean

# pip's own output (notices, warnings about running as root, build logs) goes to a file: shown only
# when the install fails.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed") if sys.version_info < (3, 11) else None'
	@echo "Installing the Python packages into $(VENV) (a minute or two the first time; log: $(VENV)/install.log)"
	@$(PYTHON) -m venv $(VENV)
	@{ $(BIN)/pip install --disable-pip-version-check --upgrade pip \
	   && $(BIN)/pip install --disable-pip-version-check -e '.[test]'; } > $(VENV)/install.log 2>&1 \
	 || { tail -n 30 $(VENV)/install.log; echo "Installing failed: the whole log is $(VENV)/install.log"; exit 1; }
	@touch $(STAMP)

setup: $(STAMP)

migrate: setup
	$(BIN)/alembic upgrade head

# Migrates the embedded SQLite database, creates the demo tenant on the first run, then starts the
# web app on 127.0.0.1:8000 and the FreeSWITCH bridge. Ctrl-C stops both.
run: setup
	@$(BIN)/python -m web

# -rs: every skipped test is listed with its reason. Tests are spread over the processes module by
# module; the FreeSWITCH tests all run in one (tests/conftest.py says why).
test: setup
	$(BIN)/python -m pytest -rs -n $(TEST_WORKERS) $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
