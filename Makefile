# The README's commands. `make demo` and `make test` are the whole set-up on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
SCALE ?= 1
DEMO_ENV := DEBUG=1 DEMO_MODE=1

.PHONY: demo test lint security format bench install messages check-messages serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependencies change, so a second `make demo` starts in seconds.
$(STAMP): pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --constraint requirements.lock --editable '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(DEMO_ENV) $(BIN)/python manage.py migrate --noinput -v0
	$(DEMO_ENV) $(BIN)/python manage.py make_demo_city --seed 1 --scale $(SCALE)
	$(DEMO_ENV) $(BIN)/python manage.py send_notifications -v0
	@echo "Serving on http://$(HOST):$(PORT)/ with a task worker beside it (Ctrl-C stops both)."
	@$(DEMO_ENV) $(BIN)/python manage.py task_worker --no-reload --no-startup-delay -v0 & \
	  worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(DEMO_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

# The suite runs on every core (pytest-xdist; the browser tests share one worker and one server), then
# the tests marked `serial` (timing under load) alone. TEST_MARK narrows both, e.g. TEST_MARK="not browser".
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
TEST_MARK ?=
PARALLEL_MARK := not serial$(if $(TEST_MARK), and ($(TEST_MARK)))
SERIAL_MARK := serial$(if $(TEST_MARK), and ($(TEST_MARK)))
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup -m "$(PARALLEL_MARK)" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m "$(SERIAL_MARK)" $(PYTEST_ARGS) || [ $$? -eq 5 ]  # 5: none selected

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Security lint: medium and high findings fail; reviewed ones carry `# nosec <id>` (docs/security.md).
security: install
	$(BIN)/bandit -q -c pyproject.toml -r hotspot safetystats democity -ll -x '*/tests/*,*/migrations/*'

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# Translations: extract strings, then translate them in locale/da/LC_MESSAGES/django.po and compile.
messages: install
	DEBUG=1 $(BIN)/python manage.py makemessages -l da --no-obsolete --ignore='.venv/*' --ignore='tests/*' --ignore='safetystats/*' --ignore='bench/*'
	DEBUG=1 $(BIN)/python manage.py compilemessages -l da --ignore='.venv/*'

clean:
	rm -rf var/ $(VENV)
