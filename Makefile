# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi
YEAR := $(shell date +%Y)

.PHONY: run test lint bench install translations clean-db

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

install: $(BIN)/.installed

## Run the app, its scheduler and a local mail catcher on SQLite with demo data at http://127.0.0.1:5000
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed reference
	$(BIN)/flask closure-days seed --from $(YEAR) --to $$(( $(YEAR) + 4 ))
	$(BIN)/flask seed demo
	$(BIN)/flask dev --host 127.0.0.1 --port 5000

## Lint, then the whole suite on every core (on PostgreSQL when PLANNER_TEST_DATABASE_URL is set)
# Each worker has a database of its own (tests/conftest.py); `worksteal` hands a worker that runs
# out of tests some of another's, so a long test near the end does not leave a core idle. The
# compiled modules are kept (__pycache__), so each worker and each later run reads them instead
# of compiling the code again.
TEST_WORKERS ?= auto
test: install lint
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

lint: install
	$(BIN)/ruff check .

## Benchmarks; figures go to docs/performance.md
bench: install
	$(BIN)/python -m bench --write docs/performance.md

translations: install
	cd webapp && ../$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot .
	cd webapp && ../$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i translations/messages.pot -d translations
	cd webapp && ../$(BIN)/pybabel compile -d translations
	cd webapp && ../$(BIN)/pybabel compile -d translations -D admin

clean-db:
	rm -f instance/planner.sqlite3
