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

.PHONY: run test bench sysdeps sysdeps-test assets messages messages-update migrate demo lint clean

run: sysdeps $(STAMP) assets messages migrate demo
	@$(PY) manage.py demo_logins
	$(PY) manage.py runserver 127.0.0.1:8000

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

lint: $(STAMP)
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) node_modules staticfiles db.sqlite3 .test_media
