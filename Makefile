# The two commands of the README: `make run` and `make test`. Both set up everything they need.
# `make run DEMO=--current DATABASE_URL=sqlite:///demo-current.sqlite3`: the demo dated to now.
PYTHON ?= python3
# `make run PORT=8001` when 8000 is taken.
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup lint messages clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py migrate --no-input
	DEBUG=1 $(BIN)/python manage.py load_seeds
	DEBUG=1 $(BIN)/python manage.py demo_data $(DEMO)
	DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: $(STAMP)
	SECRET_KEY=test-only-not-secret $(BIN)/python -m pytest $(PYTEST_ARGS)

# Style (ruff) and the walls between reporting's rooms (import-linter, pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

messages: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py makemessages -l es -l en --ignore=.venv --ignore=staticfiles
	DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
