# The two set-up commands of the README: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Debian packages the app needs: CJK fonts and HarfBuzz subsetting for WeasyPrint PDFs
# (without the latter PDF writing is ~10x slower), gettext for the translations.
APP_DEBS := fonts-noto-cjk libharfbuzz-subset0 gettext
TEST_DEBS := $(APP_DEBS) chromium poppler-utils

.PHONY: run test bench sysdeps sysdeps-test assets messages messages-update migrate demo demo-reset \
	lint clean

# Serves the product as its users see it, DEBUG off (Chinese error pages, static files through
# WhiteNoise); `DJANGO_DEBUG=1 make run` turns Django's debugging on.
run: sysdeps $(STAMP) assets messages migrate demo
	@$(PY) manage.py demo_logins
	$(PY) manage.py runserver 127.0.0.1:8000

# Two workers (the machine's two cores), a test file to a worker: a file's tests share its
# module fixtures and run in their order. `make test PYTEST_ARGS=` runs them in one process.
PYTEST_ARGS ?= -n 2 --dist loadfile

test: sysdeps-test $(STAMP) assets messages
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(STAMP) assets
	$(PY) bench/run.py

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Installs the Debian packages that are missing, when we may (root); otherwise says what to do.
sysdeps:
	@bash -c 'source .ci/debs.sh && ensure_debs $(APP_DEBS)'

sysdeps-test:
	@bash -c 'source .ci/debs.sh && ensure_debs $(TEST_DEBS)'

assets: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

messages:
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

# After adding interface text: extract it into locale/ and translate the new entries.
messages-update: $(STAMP)
	$(PY) manage.py makemessages -l zh_Hans --no-location --ignore=.venv --ignore=node_modules \
		--ignore=tests --ignore=bench --ignore=examples --ignore=test-results

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput -v 0

demo: $(STAMP)
	$(PY) manage.py seed_demo

# The database the settings use, as "FILE MEDIA": with SQLite its file and, when the uploads
# are in the default private_media/, that folder (the demo's files); nothing with a server.
DEMO_STORE := import os, django; os.environ.setdefault("DJANGO_SETTINGS_MODULE", \
	"config.settings.local"); django.setup(); from django.conf import settings as s; \
	from django.db import connection as c; sqlite = c.vendor == "sqlite"; \
	media = s.MEDIA_ROOT == s.BASE_DIR / "private_media"; \
	print(c.settings_dict["NAME"] if sqlite else "", s.MEDIA_ROOT if sqlite and media else "")

# A fresh demo database, keeping .venv and node_modules: the SQLite file (and the demo's
# uploads) deleted, or a server database flushed and the project's tables made again so that
# the data migrations load the districts, clusters and default policy; then migrated, seeded,
# and the logins printed.
demo-reset: $(STAMP)
	@read -r db media <<< "$$($(PY) -c '$(DEMO_STORE)')"; \
	if [ -n "$$db" ]; then \
		echo "Deleting $$db $$media"; rm -rf "$$db" "$$db-wal" "$$db-shm" $$media; \
	else \
		$(PY) manage.py flush --noinput && $(PY) manage.py migrate institutions zero --noinput -v 0; \
	fi
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py seed_demo
	@$(PY) manage.py demo_logins

lint: $(STAMP)
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) node_modules staticfiles db.sqlite3 db.sqlite3-wal db.sqlite3-shm .test_media
