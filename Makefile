# The desk from two commands: `make run` serves it, `make test` tests it.
# Both work on a fresh Debian machine as root (system packages are installed
# when missing) and straight after a clone.

# Debian's /usr/bin/python3 is built with profile-guided and link-time
# optimisation; pyenv's default build (python3 on PATH here) is not. Letters
# cost 8 % fewer instructions on it and render about 10 % faster
# (bench.letters), tests run faster too. Any python3 >= 3.11 with venv works.
PYTHON ?= $(shell /usr/bin/python3 -c 'import sys, ensurepip; sys.exit(sys.version_info < (3, 11))' \
  >/dev/null 2>&1 && echo /usr/bin/python3 || echo python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# Debian packages: WeasyPrint's Pango, a CJK font, gettext (compilemessages),
# poppler-utils (pdftoppm/pdftotext for looking at letters).
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk gettext poppler-utils
# `make test-e2e` only: the browser Playwright drives (never `playwright install`).
E2E_SYSTEM_PACKAGES := chromium
DEV_ENV := DEBUG=1

.PHONY: help run run-prod test test-celery test-e2e test-fast lint messages-extract system-deps venv deps dev-deps messages migrate demo bench clean fonts

help:
	@echo "make run          install what is missing, migrate, load demo data, serve http://127.0.0.1:8000"
	@echo "make test         install test dependencies and run the test suite (pytest)"
	@echo "make test-celery  the Celery tests against a real worker (CELERY_BROKER_URL)"
	@echo "make test-e2e     journeys, accessibility and keyboard in headless chromium"
	@echo "make run-prod     gunicorn + Celery worker and beat on PostgreSQL and Redis (JSON logs)"
	@echo "make lint         ruff, makemigrations --check, manage.py check"
	@echo "make bench        city-scale figures (see bench/README.md)"

system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

venv: $(VENV)/bin/activate

$(VENV)/.deps: requirements.txt | $(VENV)/bin/activate
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(VENV)/bin/activate
	$(PIP) install -q -r requirements-dev.txt
	touch $(VENV)/.deps $@

deps: $(VENV)/.deps
dev-deps: $(VENV)/.dev-deps

messages: system-deps deps
	$(DEV_ENV) $(PY) manage.py compilemessages -l zh_Hans -i .venv -i var -v0

migrate: deps
	$(DEV_ENV) $(PY) manage.py migrate --no-input -v1

demo: migrate
	$(DEV_ENV) $(PY) manage.py seed_demo

# The GB2312 subset of Noto Sans CJK SC that status letters embed (letters/fonts.py):
# built once into var/fonts (about 30 s), skipped when present.
fonts: system-deps deps
	$(DEV_ENV) $(PY) manage.py letter_fonts

run: system-deps deps messages fonts demo
	@echo "Serving the desk at http://127.0.0.1:8000/desk/ with a Celery worker and beat (Ctrl-C stops all)."
	$(DEV_ENV) $(VENV)/bin/honcho start -f Procfile

test: system-deps dev-deps fonts
	$(DEV_ENV) $(PY) manage.py compilemessages -l zh_Hans -i .venv -i var -v0
	$(PY) -m pytest -p no:cacheprovider -n 2 -m "not redis and not e2e" $(PYTEST_ARGS)

test-fast: dev-deps
	$(PY) -m pytest -x -q -m "not redis and not e2e" $(PYTEST_ARGS)

# Real-browser journeys and accessibility (tests/e2e/): Debian's chromium driven
# by Playwright against gunicorn on a fresh demo database (SQLite under var/e2e/);
# a screenshot of every step under var/e2e/shots/. Separate from `make test`: it
# needs the browser, and one server for the whole run rather than -n 2.
test-e2e: system-deps dev-deps fonts
	@$(MAKE) --no-print-directory system-deps SYSTEM_PACKAGES="$(E2E_SYSTEM_PACKAGES)"
	$(DEV_ENV) $(PY) manage.py compilemessages -l zh_Hans -i .venv -i var -v0
	$(PY) -m pytest -p no:cacheprovider -m e2e tests/e2e $(PYTEST_ARGS)

# Production on this machine: gunicorn (gunicorn.conf.py), a Celery worker and
# beat (Procfile.prod) on PostgreSQL and Redis, which must be running; JSON logs.
# The database is created when missing and migrated; PROD_DEMO=1 loads the demo
# users. No TLS proxy here, so the HTTPS redirect is off unless PROD_SSL_REDIRECT=True.
PROD_DB ?= servicedesk
PROD_DATABASE_URL ?= postgres://root@127.0.0.1:5432/$(PROD_DB)
PROD_REDIS ?= redis://127.0.0.1:6379
PROD_SSL_REDIRECT ?= False
PROD_DEMO ?= 0
PROD_ENV = DEBUG=False TESTING=False DATABASE_URL=$(PROD_DATABASE_URL) \
  CELERY_BROKER_URL=$(PROD_REDIS)/0 CACHE_URL=$(PROD_REDIS)/1 CONN_MAX_AGE=60 \
  SECRET_KEY="$$(cat var/prod-secret-key)" SECURE_SSL_REDIRECT=$(PROD_SSL_REDIRECT) \
  FIELD_ENCRYPTION_KEY="$$(cat var/prod-field-encryption-key)" \
  FIELD_INDEX_KEY="$$(cat var/prod-field-index-key)" \
  ALLOWED_HOSTS=127.0.0.1,localhost LOG_FORMAT=json

run-prod: system-deps deps messages fonts
	@pg_isready -h 127.0.0.1 -p 5432 -q || { echo "PostgreSQL is not answering on 127.0.0.1:5432"; exit 1; }
	@redis-cli -u $(PROD_REDIS) ping >/dev/null || { echo "Redis is not answering at $(PROD_REDIS)"; exit 1; }
	@# keys made once and kept (a new key would log everyone out and lose the encrypted data)
	@test -s var/prod-secret-key || { umask 077; $(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > var/prod-secret-key; }
	@test -s var/prod-field-index-key || { umask 077; $(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > var/prod-field-index-key; }
	@test -s var/prod-field-encryption-key || { umask 077; $(PY) -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())" > var/prod-field-encryption-key; }
	$(PY) -c "import sys; from bench.common import ensure_database; ensure_database(sys.argv[1])" "$(PROD_DATABASE_URL)"
	$(PROD_ENV) $(PY) manage.py migrate --no-input -v1
	$(PROD_ENV) $(PY) manage.py collectstatic --no-input -v0
	@if [ "$(PROD_DEMO)" = 1 ]; then $(PROD_ENV) $(PY) manage.py seed_demo; fi
	$(PROD_ENV) $(PY) manage.py check --deploy --fail-level ERROR
	@echo "Serving http://127.0.0.1:8000/ with gunicorn, a Celery worker and beat (Ctrl-C stops all)."
	$(PROD_ENV) $(VENV)/bin/honcho start -f Procfile.prod

test-celery: system-deps dev-deps
	$(PY) -m pytest -p no:cacheprovider -m redis $(PYTEST_ARGS)

# Extract strings: the project catalogue (locale/), then each app that keeps its
# own (<app>/locale/): django-admin without settings writes into the app's folder.
APP_CATALOGUES := $(patsubst %/locale/,%,$(wildcard */locale/))
messages-extract: deps
	$(DEV_ENV) $(PY) manage.py makemessages -l zh_Hans --no-obsolete -i ".venv/*" -i "var/*" \
	  -i "bench/*" -i "tests/*" $(foreach a,$(filter-out locale,$(APP_CATALOGUES)),-i "$(a)/*")
	for a in $(filter-out locale,$(APP_CATALOGUES)); do \
	  (cd $$a && env -u DJANGO_SETTINGS_MODULE ../$(VENV)/bin/django-admin makemessages -l zh_Hans --no-obsolete); done

lint: dev-deps
	$(VENV)/bin/ruff check .
	$(DEV_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(DEV_ENV) $(PY) manage.py check

bench: dev-deps
	$(PY) -m bench.run $(BENCH_ARGS)

clean:
	rm -rf var/db.sqlite3* var/celery var/mail staticfiles
