# The README's contract: `make run` starts the platform, `make test` runs every test.
# Both need nothing but Python 3.11; PostgreSQL and Redis are embedded unless
# DATABASE_URL / REDIS_URL are set.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed
EMBEDDED := $(PY) -m devtools.embedded --
PYTEST_ARGS ?=

.PHONY: setup fonts run test lint migrations-check bench browser-deps messages clean-data

setup: $(STAMP) fonts

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

run: setup
	$(PY) -m devtools.run

test: setup browser-deps
	$(PY) -m ruff check .
	DJANGO_SETTINGS_MODULE=tradeplatform.settings_test $(EMBEDDED) sh -c '\
		$(PY) manage.py makemigrations --check --dry-run && \
		$(PY) -m pytest $(PYTEST_ARGS)'

lint: setup
	$(PY) -m ruff check .

bench: setup
	sh devtools/ensure-debian-packages.sh wrk
	$(EMBEDDED) $(PY) -m bench.run
	# 32 buyers placing orders through the API against gunicorn; orders/s and a zero-oversell check.
	$(EMBEDDED) $(PY) -m bench.checkout
	$(EMBEDDED) $(PY) -m bench.crm_history
	# The engines need no database: the set-off solver on 1M obligations beside OR-Tools,
	# the barter matcher on 20k and 200k listings beside HiGHS.
	$(PY) -m bench.debt_clearing
	$(PY) -m bench.debt_replan
	$(PY) -m bench.barter_matching

# The order documents (PDF) need a Chinese font (and HarfBuzz-Subset to embed it quickly). Without
# one the platform still runs and says which package is missing when a PDF is asked for, so a
# machine where it cannot be installed goes on.
fonts:
	-sh devtools/ensure-debian-packages.sh fonts-noto-cjk libharfbuzz-subset0

# Debian's chromium for the browser tests and CJK fonts for pages and PDFs (never a downloaded browser).
browser-deps:
	sh devtools/ensure-debian-packages.sh chromium fonts-noto-cjk

messages: setup
	$(PY) manage.py makemessages -l en --no-obsolete --ignore=.venv --ignore=.data
	$(PY) manage.py compilemessages -l en --ignore=.venv

clean-data:
	rm -rf .data
