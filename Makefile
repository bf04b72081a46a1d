# YTEMPIRE developer commands. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_ENV := DJANGO_SETTINGS_MODULE=ytempire.settings.test
PYTEST_ARGS ?=

.PHONY: run test install lint format check-deploy migrate worker beat clean

$(STAMP): requirements/base.txt requirements/dev.txt requirements/prod.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt -r requirements/prod.txt
	touch $(STAMP)

install: $(STAMP)

## The service on its embedded default: SQLite, local cache, Celery without a broker server.
## Worker and beat log warnings and errors only (-q: no banners). The demo data is loaded while
## they start; the logins are printed last, in a box, once the server answers and the worker and
## beat have marked themselves ready in var/run (YTEMPIRE_READY_DIR). Ctrl-C stops them all (the
## trap is reset before `kill 0`, which signals the shell too: re-entering it recursed until it crashed).
run: install
	mkdir -p var/static
	$(BIN)/python manage.py migrate --noinput
	@rm -rf var/run && mkdir -p var/run; \
	trap 'trap - EXIT INT TERM; kill 0' EXIT INT TERM; \
	YTEMPIRE_READY_DIR=var/run $(BIN)/celery -A ytempire -q worker --loglevel=WARNING --pool=threads --concurrency=4 \
	  -Q default,pipeline,render,upload -n local@%h & \
	YTEMPIRE_READY_DIR=var/run $(BIN)/celery -A ytempire -q beat --loglevel=WARNING & \
	$(BIN)/python manage.py runserver $(HOST):$(PORT) & \
	LOG_LEVEL=WARNING $(BIN)/python manage.py bootstrap_demo --url http://$(HOST):$(PORT) --ready-dir var/run; \
	wait

## The whole suite against real PostgreSQL and Redis (DATABASE_URL / REDIS_URL, local defaults).
test: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(MAKE) --no-print-directory check-deploy
	$(TEST_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Production settings must pass Django's deployment checks with warnings as failures.
check-deploy: install
	DJANGO_SETTINGS_MODULE=ytempire.settings.production \
	SECRET_KEY=ci-$$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n') \
	JWT_SIGNING_KEY=ci-jwt-$$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n') \
	ALLOWED_HOSTS=api.ytempire.example DEBUG=False \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

migrate: install
	$(BIN)/python manage.py migrate --noinput

worker: install
	$(BIN)/celery -A ytempire worker --loglevel=INFO -Q default,pipeline,render,upload

beat: install
	$(BIN)/celery -A ytempire beat --loglevel=INFO

## Issue 14's benchmark (bench/): gunicorn as production, wrk rounds as a ratio to a bare view, CPU and
## queries per request, open-loop p95; its own database (BENCH_DB_URL) and Redis db (BENCH_REDIS_URL).
## Never a test. BENCH_ARGS: e.g. --videos 100000, --only channels_list,login, --rounds 3.
.PHONY: bench
bench: install
	@command -v wrk >/dev/null 2>&1 || { echo "installing wrk (Debian package)"; \
	  SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$SUDO apt-get install -y -qq wrk >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq wrk >/dev/null; }; }
	$(BIN)/python -m bench $(BENCH_ARGS)

## Issue 15: a compressed platform day (default: 24 h in ~5 min) on the real stack, with faults; its
## own database (SIM_DATABASE_URL, default .../ytempire_sim) and Redis. Prints the table, writes
## var/simulations/<timestamp>.json; fails when a must fails. SIM_ARGS: e.g. --seed 2, --no-faults.
.PHONY: simulate
simulate: install
	$(BIN)/python manage.py simulate_day $(SIM_ARGS)

clean:
	rm -rf var .pytest_cache
