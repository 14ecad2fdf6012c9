# graphmetrics — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages the running system needs, and those only the tests need.
APT_RUN := rrdtool librrd-dev pkg-config python3-dev build-essential rrdcached fonts-dejavu-core
APT_TEST := syslog-ng-core chromium graphite-web python3-waitress graphite-carbon collectd-core
# graphmetrics-kcl (several consumer hosts): the KCL MultiLangDaemon runs on Java 17.
APT_CLUSTER := openjdk-17-jre-headless
# Several web processes: PostgreSQL shared by them, haproxy in front (the tests start both).
APT_WEB_CLUSTER := postgresql haproxy
# the browser's ES modules and their Node tests (node --test)
JS := static/js tests/js

.PHONY: help install install-test install-cluster demo demo-cluster test bench lint screenshots clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

install: $(BIN)/.installed node_modules/.installed  ## system packages, .venv with graphmetrics, npm tools
install-test: install $(BIN)/.installed-test  ## install plus what the tests need (chromium, syslog-ng, pytest...)
install-cluster: install  ## install plus the KCL consumer's needs (Java 17, the KCL jars: graphmetrics-kcl)
	@scripts/apt-ensure $(APT_CLUSTER)
	$(BIN)/python -m pip install -q -e '.[cluster]'

# The hot loops (setup.py's HOT_MODULES) are compiled with mypyc: editing them means rebuilding.
HOT := $(wildcard src/graphmetrics/tracelog/records.py src/graphmetrics/tracelog/parser.py src/graphmetrics/tracelog/aggregate.py src/graphmetrics/tracelog/latency.py \
	src/graphmetrics/tracelog/slowest.py src/graphmetrics/tracelog/pools.py \
	src/graphmetrics/metrics/records.py src/graphmetrics/metrics/batch.py \
	src/graphmetrics/rrd/updates.py src/graphmetrics/rrd/layout.py src/graphmetrics/collect/carbon_lines.py \
	src/graphmetrics/render/_pngwrite.c src/graphmetrics/tracelog/_scan.c)

$(BIN)/.installed: pyproject.toml setup.py $(HOT)
	@scripts/apt-ensure $(APT_RUN)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	@touch $@

$(BIN)/.installed-test: $(BIN)/.installed pyproject.toml
	@scripts/apt-ensure $(APT_TEST) $(APT_CLUSTER) $(APT_WEB_CLUSTER)
	$(BIN)/python -m pip install -q -e '.[test,cluster,postgres]'
	@touch $@

node_modules/.installed: package.json
	@command -v npm >/dev/null || scripts/apt-ensure nodejs npm
	npm install --no-audit --no-fund --silent
	@touch $@

demo: install  ## start the whole stack on local defaults and print the URL
	$(BIN)/python -m graphmetrics.demo

demo-cluster: install $(BIN)/.installed-demo-cluster  ## a cluster on this machine: KCL workers, rrdcached node, 2 web on PostgreSQL, haproxy
	$(BIN)/python -m graphmetrics.demo.cluster $(ARGS)

# Java 17 and the KCL jars, PostgreSQL, haproxy, psycopg and moto server (its DynamoDB)
$(BIN)/.installed-demo-cluster: $(BIN)/.installed pyproject.toml
	@scripts/apt-ensure $(APT_CLUSTER) $(APT_WEB_CLUSTER)
	$(BIN)/python -m pip install -q -e '.[cluster,postgres]' 'moto[server]>=5.0'
	@touch $@

test: install-test  ## run the full test suite (JS under Node, then unit, functional, browser)
	node --test --test-reporter=spec tests/js/*.test.mjs
	@# pytest exits 5 when it collected no test (e.g. a -k that matches nothing): not a failure
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; rc=0; fi; exit $$rc

bench: install-test  ## run the benchmarks; each prints ratios measured side by side
	$(BIN)/python -m bench

lint: install-test  ## ruff and mypy; ESLint and Prettier over the JavaScript
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	npx eslint $(JS)
	npx prettier --check $(JS)

screenshots: install-test  ## README screenshots of / and /metrics from the demo (docs/screenshots)
	$(BIN)/python scripts/screenshots.py --out docs/screenshots

clean:  ## remove the venv, node_modules and demo state
	rm -rf $(VENV) node_modules var
