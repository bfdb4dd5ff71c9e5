# The two commands: `make run` and `make test`. Both bootstrap themselves from a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint format messages bench-timers bench-fanout bench-intake bench-paging bench-metrics bench-public clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

run: $(STAMP)
	@$(PY) -m config.launcher

test: $(STAMP)
	@$(PY) -m tests.suite

lint: $(STAMP)
	@$(PY) -m ruff check . && $(PY) -m ruff format --check .

format: $(STAMP)
	@$(PY) -m ruff format . && $(PY) -m ruff check --fix .

messages: $(STAMP)
	@$(PY) manage.py makemessages -l zh_Hans --no-location --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*'
	@$(PY) manage.py makemessages -l zh_Hans -d djangojs --no-location --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'staticfiles/*'
	@$(PY) manage.py compilemessages -l zh_Hans --ignore '.venv/*' --ignore 'var/*'

# Benchmarks run against their own SQLite file (or DATABASE_URL) and the Redis at REDIS_URL.
BENCH_DB := SQLITE_PATH=$(CURDIR)/var/bench.sqlite3
bench-timers: $(STAMP)
	@$(BENCH_DB) $(PY) manage.py check_lineage && $(BENCH_DB) $(PY) manage.py migrate -v0
	@$(BENCH_DB) $(PY) manage.py bench_timers $(ARGS)

bench-fanout: $(STAMP)
	@$(BENCH_DB) $(PY) manage.py check_lineage && $(BENCH_DB) $(PY) manage.py migrate -v0
	@$(BENCH_DB) $(PY) manage.py bench_fanout $(ARGS)

bench-intake: $(STAMP)
	@$(BENCH_DB) $(PY) manage.py check_lineage && $(BENCH_DB) $(PY) manage.py migrate -v0
	@$(BENCH_DB) $(PY) manage.py bench_intake $(ARGS)

bench-paging: $(STAMP)
	@$(BENCH_DB) $(PY) manage.py check_lineage && $(BENCH_DB) $(PY) manage.py migrate -v0
	@$(BENCH_DB) $(PY) manage.py bench_paging $(ARGS)

bench-public: $(STAMP)
	@$(BENCH_DB) $(PY) manage.py check_lineage && $(BENCH_DB) $(PY) manage.py migrate -v0
	@$(BENCH_DB) $(PY) manage.py bench_public $(ARGS)

bench-metrics: $(STAMP)
	@$(BENCH_DB) $(PY) manage.py check_lineage && $(BENCH_DB) $(PY) manage.py migrate -v0
	@$(BENCH_DB) $(PY) manage.py bench_metrics $(ARGS)

clean:
	rm -rf $(VENV) var
