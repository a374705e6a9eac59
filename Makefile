# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR := var/demo-snapshot
export TRUST_SIGNALS_STORE ?= var/store

.PHONY: run test lint venv dev-venv demo clean bench-load bench-engine lock

# Installs are the locked, tested dependency set (requirements*.lock), then the project
# itself without resolving anything again; `pip check` proves the set is consistent.
# requirements.lock is the server's set (`.[server]`); requirements-dev.lock adds `dev`.
$(BIN)/trust-signals: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
	touch $@

$(VENV)/.dev: pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
	touch $@

# Pin the dependency sets again after pyproject.toml changes (newest versions that satisfy
# them; versions already pinned are kept where they still do), in a small venv of its own.
lock:
	$(PYTHON) -m venv var/lock-venv
	var/lock-venv/bin/pip install --quiet uv
	var/lock-venv/bin/uv pip compile pyproject.toml --universal --python-version 3.11 \
		--extra server -q -o requirements.lock
	var/lock-venv/bin/uv pip compile pyproject.toml --universal --python-version 3.11 \
		--extra server --extra dev -q -o requirements-dev.lock

venv: $(BIN)/trust-signals
dev-venv: $(VENV)/.dev

demo: venv
	$(BIN)/trust-signals demo --out $(DEMO_DIR)

run: demo
	$(BIN)/gunicorn --config gunicorn.conf.py 'trust_signals.api:create_app()'

test: dev-venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile
	$(BIN)/pytest --cov=trust_signals --cov-branch --cov-report=term-missing:skip-covered
	$(BIN)/coverage report --include='trust_signals/domain/*' --fail-under=100

# Snapshot load (1M offers, every record validated) and the pure engine's µs per entity.
bench-load: venv
	PYTHONPATH=. $(BIN)/python bench/load_snapshot.py

bench-engine: venv
	$(BIN)/python bench/engine.py

clean:
	rm -rf $(VENV) var

.PHONY: load bench

# Locust against the 1M-offer benchmark snapshot under the production gunicorn settings;
# TRUST_SIGNALS_LOAD_SECONDS, _USERS, _USER_RPS and _SHAPE=step override (load_tests/run_load.py).
load: dev-venv
	$(BIN)/python -m load_tests.run_load

# Our endpoints against a minimal Flask app under the same gunicorn settings and wrk load.
bench: dev-venv
	command -v wrk >/dev/null || apt-get install -y -qq wrk
	PYTHONPATH=. $(BIN)/python bench/http_ratio.py
