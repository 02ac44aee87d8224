# Milestones — `make help` lists every target.
SHELL := /bin/bash
TIER ?= tier0
# processes (each server a local process) or containers (the tier's compose profile under podman).
RUNTIME ?= processes
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

# The operating-system packages come first, before the virtualenv, from the system's python3 and
# the standard library alone: Debian's Python cannot make a virtualenv until python3-venv is
# installed, and without root one should hear at once what to install, not after pip has run.
# `make test`, `make up` (its tier's) and `make bench` check theirs at the top of the recipe, then
# build the virtualenv with a sub-make: as two prerequisites, the check and $(STAMP) could run in
# parallel under `make -j`, while a recipe's lines run in order. Every other target gets
# python3-venv, if it is missing, from the $(STAMP) rule.
#
# As root, the virtualenv is built on the system's /usr/bin/python3, which every account can run:
# the Celery workers then drop to an unprivileged account (`postgres`), and an interpreter under
# /root (pyenv's, say) would be out of their reach. Anyone else gets the python3 on their PATH.
BASE_PYTHON := $(shell if [ "$$(id -u)" = 0 ] && [ -x /usr/bin/python3 ]; then echo /usr/bin/python3; else echo python3; fi)
SYSTEM_PACKAGES := $(BASE_PYTHON) -m app.runner.system_packages

$(STAMP): requirements.txt requirements-dev.txt
	@$(SYSTEM_PACKAGES) venv
	@echo "Installing the pinned Python packages into $(VENV) (the first time takes a minute or so) …"
	@test -x $(PY) || $(BASE_PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -r requirements-dev.txt
	@# The media service's package on the path (what an editable install does, without needing a
	@# build backend offline): the tiers without the service run its work in-process.
	@echo "$(CURDIR)/services/media" > "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/milestones-media.pth"
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the pinned dependencies

up: ## Start TIER (default tier0) with demo data at http://127.0.0.1:8000 (RUNTIME=containers: under podman)
	@$(SYSTEM_PACKAGES) $(if $(filter containers,$(RUNTIME)),containers,up $(TIER))
	@$(MAKE) --silent --no-print-directory $(STAMP)
	@$(PY) -m app.runner up --tier $(TIER) --runtime $(RUNTIME)

down: $(STAMP) ## Stop everything `make up` started (processes or containers)
	@$(PY) -m app.runner down

deploy: $(STAMP) ## Restart the running tier's app instances one by one behind the load balancer (tier2+)
	@$(PY) -m app.runner deploy

ps: $(STAMP) ## Show what is running
	@$(PY) -m app.runner ps

logs: $(STAMP) ## Show the last lines of every service's log (FOLLOW=1 keeps following them)
	@$(PY) -m app.runner logs $(if $(FOLLOW),--follow)

tls: $(STAMP) ## Make the local CA and the load balancer's certificate in var/tls (make up does it from tier2)
	@$(PY) -m app.runner tls

migrate-data: $(STAMP) ## Copy FROM's database into TO's (e.g. FROM=tier0 TO=tier1; FORCE=1 replaces data)
	@$(PY) -m app.runner migrate-data --from $(FROM) --to $(TO) $(if $(FORCE),--force)

diff: $(STAMP) ## What a milestone changes, as a changelog: A=tier0 B=tier1 (V=1 unfolds every key)
	@$(PY) -m app.runner.diff $(if $(V),-v) $(or $(A),tier0) $(or $(B),tier1)

lint: $(STAMP) ## ruff (lint and format check), the import layers, mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	MILESTONES_ENV=local $(VENV)/bin/mypy

TESTED_TIERS := tier0 tier1 tier2 tier3 tier4
# What a production deployment sets (README: "Deploying to production"), with example values:
# the deployment check runs every tier under them, in the production environment.
PRODUCTION_ENV := MILESTONES_ENV=production ALLOWED_HOSTS=milestones.example.com TRUSTED_PROXIES=10.0.0.0/8 \
	SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	OBJECT_STORE_SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(30))')

test: ## Everything CI runs: ruff, import layers, mypy, then per tier: migrations check, system checks (local, production), pytest
	@$(SYSTEM_PACKAGES) test
	@$(MAKE) --silent --no-print-directory $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	MILESTONES_ENV=local $(VENV)/bin/mypy
	@for tier in $(TESTED_TIERS); do \
		echo "== $$tier: makemigrations --check, check, check --deploy (production)"; \
		TIER=$$tier MILESTONES_ENV=local $(PY) -W ignore::RuntimeWarning manage.py makemigrations --check --dry-run \
			|| exit 1; \
		TIER=$$tier MILESTONES_ENV=local $(PY) manage.py check --fail-level WARNING || exit 1; \
		TIER=$$tier $(PRODUCTION_ENV) $(PY) manage.py check --deploy --fail-level WARNING || exit 1; \
	done
	TIER=tier0 $(PY) -m pytest
	TIER=tier1 $(PY) -m pytest -m "not tier_independent"
	TIER=tier2 $(PY) -m pytest -m "not tier_independent"
	TIER=tier3 $(PY) -m pytest -m "not tier_independent"
	TIER=tier4 $(PY) -m pytest -m "not tier_independent" tests/tier4

bench: ## Run the benchmarks (S=<scenario> for one); results in bench/results/
	@$(SYSTEM_PACKAGES) bench
	@$(MAKE) --silent --no-print-directory $(STAMP)
	$(PY) -m bench $(S) $(if $(SECONDS),--seconds $(SECONDS))

backup: $(STAMP) ## A backup of the running tier3+ stack's database (pgBackRest; incremental after the first)
	@$(PY) -m app.runner backup

restore-drill: $(STAMP) ## Restore the latest backup to a point in time into a scratch cluster, check every table, report RPO/RTO
	@$(PY) -m app.runner restore-drill

region-b: $(STAMP) ## Region B beside the running tier4 stack: a standby per database across a 25 ms link, its own Redis and app
	@$(PY) -m app.runner region-b

promote-region: $(STAMP) ## Region A is lost: promote region B's standbys and point its writes at them
	@$(PY) -m app.runner promote-region

doctor: $(STAMP) ## The scaling doctor on the running stack: which milestone problem it has (JSON=1, RESET=1); exit 1 on one
	@$(PY) -m app.runner doctor $(if $(JSON),--json) $(if $(RESET),--reset)

capacity: $(STAMP) ## App instances, workers, connections, shards, cache for 100K/1M/10M users from bench figures (USERS= ACTIVE_SHARE= PEAK_FACTOR= REQUESTS_PER_MINUTE= WRITE_SHARE=)
	@$(PY) -m bench.capacity $(if $(USERS),--users $(USERS)) $(if $(ACTIVE_SHARE),--active-share $(ACTIVE_SHARE)) \
		$(if $(PEAK_FACTOR),--peak-factor $(PEAK_FACTOR)) $(if $(REQUESTS_PER_MINUTE),--requests-per-minute $(REQUESTS_PER_MINUTE)) \
		$(if $(WRITE_SHARE),--write-share $(WRITE_SHARE))

loadtest: ## Locust on TIER's journeys (USERS=20 DURATION=30s TIMEOUT=10); report in bench/results/; fails past P95_MS=1000 or ERRORS=0.01
	@$(SYSTEM_PACKAGES) up $(TIER)
	@$(MAKE) --silent --no-print-directory $(STAMP)
	$(PY) -m bench.loadtest --tier $(TIER) $(if $(USERS),--users $(USERS)) $(if $(DURATION),--duration $(DURATION)) \
		$(if $(P95_MS),--max-p95-ms $(P95_MS)) $(if $(ERRORS),--max-error-rate $(ERRORS)) \
		$(if $(TIMEOUT),--request-timeout $(TIMEOUT))

fmt: $(STAMP) ## Format and autofix with ruff
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean: $(STAMP) ## Stop everything and delete var/ (databases, media, logs) and the containers' volumes
	@$(PY) -m app.runner down --volumes
	rm -rf var

.PHONY: help install up down deploy ps logs tls migrate-data diff lint test bench loadtest backup restore-drill region-b promote-region doctor capacity fmt clean
