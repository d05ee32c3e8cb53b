# Amanah CRM — the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3.11
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install assets lint bench bench-load bench-scale messages clean-db

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Python dependencies exactly as locked in uv.lock, into .venv.
install: $(UV)
	$(UV) sync --frozen --python $(PYTHON) --quiet

# Front-end libraries from the npm registry (package-lock.json), copied into the app.
assets:
	npm ci --no-audit --no-fund --loglevel=error
	node scripts/build-assets.mjs

# PROFILE=pdam: the water utility's deployment and demo (AMANAH_PROFILE; default bank).
# One demo database per profile: run `make clean-db` before switching an existing one.
demo: install assets
	$(if $(PROFILE),AMANAH_PROFILE=$(PROFILE) )$(BIN)/amanah demo

# Two pytest-xdist workers (one per core here), each with a test database of its own; a
# module's tests stay together, the browser tests on one worker (amanah/conftest.py).
# TEST_WORKERS=0 runs the suite in this one process.
TEST_WORKERS ?= 2

# The tests' databases are thrown away, so their commits need not wait for the disk
# (PGOPTIONS reaches every connection of the run, the e2e servers' and workers' too; a server
# restart in a test is a clean one, which loses nothing either way).
# The import contracts (pyproject.toml [tool.importlinter]: layers, no app cycle, another app
# only through its contract, models or policies) before the tests.
test: install assets
	AMANAH_ENV=test $(BIN)/ruff check amanah
	$(BIN)/lint-imports
	PGOPTIONS="-c synchronous_commit=off" AMANAH_ENV=test $(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Search and Customer 360 at 1M customers, the SLA queue and sweep at 1M cases, then campaign
# eligibility and the messaging hub (queueing and dispatching a campaign) over the 1M customers
# (an embedded server of their own in var/bench-pgdata, database amanah_bench; not part of
# `make test`). Results go to docs/benchmarks.md.
# BENCH_ARGS go to bench.search_bench (e.g. "--pool"), CASES_BENCH_ARGS to bench.cases_bench
# (e.g. "--rebuild"), DASHBOARDS_BENCH_ARGS to bench.dashboards_bench (every dashboard page at
# HTTP beside the same figures computed live).
bench: install assets
	AMANAH_ENV=demo $(BIN)/python -m bench.search_bench $(BENCH_ARGS)
	AMANAH_ENV=demo $(BIN)/python -m bench.cases_bench $(CASES_BENCH_ARGS)
	AMANAH_ENV=demo $(BIN)/python -m bench.eligibility_bench
	AMANAH_ENV=demo $(BIN)/python -m bench.messaging_bench
	AMANAH_ENV=demo $(BIN)/python -m bench.rfm_bench $(RFM_BENCH_ARGS)
	AMANAH_ENV=demo $(BIN)/python -m bench.followup_bench
	AMANAH_ENV=demo $(BIN)/python -m bench.journeys_bench
	AMANAH_ENV=demo $(BIN)/python -m bench.dashboards_bench $(DASHBOARDS_BENCH_ARGS)

# 50 simulated staff for 10 minutes on the 1M-customer data set, this checkout beside the
# baseline commit c61ef37, then a step test (bench/load/run.py; locust from the `bench` group).
# LOAD_ARGS go to bench.load.run (e.g. "--minutes 1 --no-steps").
bench-load: install assets
	$(UV) sync --frozen --group bench --python $(PYTHON) --quiet
	AMANAH_ENV=demo $(BIN)/python -m bench.load.run $(LOAD_ARGS)

# Branch-scoped name search over HTTP at 1M and 10M customers in one run (issue 21). Builds the
# 1M set if missing and the 10M set (database amanah_bench_10m: the 1M set copied and multiplied
# set-based) once; the build is long, the measured part a few minutes.
bench-scale: install assets
	AMANAH_ENV=demo $(BIN)/python -m bench.search_bench --build-only
	AMANAH_ENV=demo $(BIN)/python -m bench.search_bench --database amanah_bench_10m \
		--customers 10000000 --expand-from amanah_bench --build-only
	AMANAH_ENV=demo $(BIN)/python -m bench.search_scale_bench

lint: install
	$(BIN)/ruff check amanah && $(BIN)/ruff format --check amanah

# Regenerate the English translation catalogue after changing Indonesian source strings.
messages: install
	AMANAH_ENV=test $(BIN)/amanah makemessages -l en --no-location -i ".venv/*" -i ".tools/*" \
		-i "node_modules/*" -i "var/*" -i "*/tests/*" -i "bench/*"
	AMANAH_ENV=test $(BIN)/amanah compilemessages -l en -i ".venv" -i ".tools" -i "node_modules" -i "var"
	AMANAH_ENV=test $(BIN)/amanah profile_catalogue

# The demo database is disposable; its audit checkpoints go with it (else verify reports the
# new, shorter chain as truncated).
clean-db:
	$(BIN)/amanah db stop || true
	rm -rf var/pgdata var/audit-checkpoints/amanah-*.jsonl
