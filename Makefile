# Two commands matter: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
# Where SQLite, the embedded broker and the process manager's log live (settings: VAR_DIR).
VAR_DIR ?= $(CURDIR)/var

.PHONY: run test lint format setup demo clean

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py setup_periodic_tasks

demo: setup
	$(BIN)/python manage.py seed_demo

## Set up everything and run, supervised (supervisord.conf): the web server, the job
## worker, the scheduler worker and Celery beat. A crashed process is restarted;
## Ctrl-C stops them all.
run: demo
	@echo ""
	@echo "  Open http://127.0.0.1:$(PORT)/  (demo login: demo / demo-password)"
	@echo "  API docs: http://127.0.0.1:$(PORT)/api/docs/   Admin: http://127.0.0.1:$(PORT)/admin/"
	@echo ""
	PORT=$(PORT) VAR_DIR="$(VAR_DIR)" PATH="$(CURDIR)/$(BIN):$$PATH" \
		$(BIN)/supervisord -n -c supervisord.conf

## Set up (or update) the virtualenv and run the whole test suite.
test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var
