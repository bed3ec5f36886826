# The two commands of the README: `make run` (everything, in the foreground) and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
SERVICES := deploy/local/services.sh
STAMP := $(VENV)/.installed

.PHONY: run test install services-up services-down services-status lint audit openapi bench-api bench-scan bench-portal bench-webhooks bench-kpi

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV) || { echo "motcua: python3 -m venv failed; install python3-venv" >&2; exit 1; }
	@$(PY) -m pip install -q --upgrade pip >/dev/null
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

install: $(STAMP)

run: install
	@exports="$$($(SERVICES) up)" || exit 1; eval "$$exports"; exec deploy/local/run-all.sh

test: install
	@exports="$$($(SERVICES) up)" || exit 1; eval "$$exports"; \
	  $(VENV)/bin/ruff check . && $(VENV)/bin/mypy && $(PY) deploy/local/audit.py && \
	  $(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/mypy

audit: install
	$(PY) deploy/local/audit.py

openapi: install
	$(VENV)/bin/motcua export-openapi

services-up:
	@$(SERVICES) up >/dev/null
services-down:
	@$(SERVICES) down
services-status:
	@$(SERVICES) status

# Benchmarks: scripts that print a table; they run against the same local services as `make run`.
bench-api: install
	@exports="$$($(SERVICES) up)" || exit 1; eval "$$exports"; $(PY) bench/dossier_api.py
bench-scan: install
	@exports="$$($(SERVICES) up)" || exit 1; eval "$$exports"; $(PY) bench/overdue_scan.py
bench-portal: install
	@exports="$$($(SERVICES) up)" || exit 1; eval "$$exports"; $(PY) bench/portal_sync.py
bench-webhooks: install
	@exports="$$($(SERVICES) up)" || exit 1; eval "$$exports"; $(PY) bench/webhook_delivery.py
bench-kpi: install
	@exports="$$($(SERVICES) up)" || exit 1; eval "$$exports"; $(PY) bench/kpi_report.py

# Fault drills (restart the private PostgreSQL/Redis on purpose; they refuse any other server).
.PHONY: drills
drills: install
	@exports="$$($(SERVICES) up)" || exit 1; eval "$$exports"; $(PY) bench/drills/run.py
