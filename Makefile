# YTEMPIRE developer commands. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_ENV := DJANGO_SETTINGS_MODULE=ytempire.settings.test
PYTEST_ARGS ?=

.PHONY: run test install lint format check-deploy migrate worker beat benchmark clean
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ytempire

$(STAMP): requirements/base.txt requirements/dev.txt requirements/prod.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt -r requirements/prod.txt
	touch $(STAMP)

install: $(STAMP)

## The service on its embedded default: SQLite, local cache, Celery without a broker server.
run: install
	mkdir -p var/static
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py bootstrap_demo
	@echo "Serving on http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/, API docs: /api/v1/docs)"
	@trap 'kill 0' EXIT INT TERM; \
	$(BIN)/celery -A ytempire worker --loglevel=WARNING --pool=threads --concurrency=4 -Q default,pipeline,render,upload -n local@%h & \
	$(BIN)/celery -A ytempire beat --loglevel=WARNING & \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## The whole suite against real PostgreSQL and Redis (DATABASE_URL / REDIS_URL, local defaults).
test: install
	$(BIN)/ruff check .
	$(MAKE) --no-print-directory check-deploy
	$(TEST_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

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

## Latency (p50/p95), queries and peak memory of the hot read paths on generated data (rolled back).
benchmark: install
	mkdir -p var/static
	DJANGO_SETTINGS_MODULE=ytempire.settings.test DATABASE_URL=$(BENCH_DATABASE_URL) LOG_LEVEL=WARNING \
	  $(BIN)/python manage.py migrate --noinput -v0
	DJANGO_SETTINGS_MODULE=ytempire.settings.test DATABASE_URL=$(BENCH_DATABASE_URL) LOG_LEVEL=WARNING \
	  $(BIN)/python manage.py benchmark --check $(BENCH_ARGS)

clean:
	rm -rf var .pytest_cache
