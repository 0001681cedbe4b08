# The two commands of the README, `make run` and `make test`, and `make bench`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

# Tests run on PostgreSQL and Redis; these are the local defaults.
TEST_DATABASE_URL ?= postgres://bizbox@127.0.0.1:5432/bizbox
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
PG_ADMIN_URL ?= postgres://postgres@127.0.0.1:5432/postgres
PYTEST_ARGS ?= -n 2

.PHONY: install run test lint db-role bench browser wrk dovecot

$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

.env:
	cp .env.example .env

install: $(BIN)/.installed .env

# The embedded default: SQLite, eager tasks, console email, the demo business.
run: install
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py seed_demo
	@echo "Serving on http://127.0.0.1:8000/ (log in as above; Ctrl-C stops)"
	DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:8000

# The application's database role: a plain login role, never a superuser, so
# PostgreSQL's row-level security applies to it.
db-role: install
	PG_ADMIN_URL=$(PG_ADMIN_URL) APP_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python bin/pg_app_role.py

# Debian's Chromium for the browser tests: Playwright drives it and downloads no browser of its own.
browser:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y --no-install-recommends chromium)

# Debian's wrk, the load generator of the benchmarks.
wrk:
	command -v wrk >/dev/null || (apt-get update && apt-get install -y --no-install-recommends wrk)

# Debian's Dovecot: the mailbox tests start a private IMAP server of their own with it.
dovecot:
	command -v dovecot >/dev/null || (apt-get update && apt-get install -y --no-install-recommends dovecot-imapd)

test: install db-role browser dovecot
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest $(PYTEST_ARGS)

# The requirements audit skips itself, with a warning, where no vulnerability
# service answers; AUDIT_REQUIRED=1 makes that an error (bin/audit_requirements.py).
lint: install
	$(BIN)/ruff check .
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python bin/audit_requirements.py requirements.txt

# The benchmarks (bench/run.py): SCALE=small (its own database, about 4 minutes on 2
# cores) or SCALE=large (the issues' sizes); results in bench/results/latest.md.
SCALE ?= small
BENCH_ARGS ?=
bench: install db-role wrk
	$(BIN)/python bench/run.py --scale $(SCALE) $(BENCH_ARGS)
