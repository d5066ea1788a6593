# The two commands a newcomer needs: `make demo` and `make test`. Each sets everything up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# The official CLI, in its own venv: it pulls the whole 400 MB SDK, which the product does not need.
TCCLI_VENV := .venv-tccli
TCCLI      := $(TCCLI_VENV)/bin/tccli

.PHONY: test demo lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

$(TCCLI):
	test -x $(TCCLI_VENV)/bin/python || $(PYTHON) -m venv $(TCCLI_VENV)
	$(TCCLI_VENV)/bin/pip install -q tccli

test: $(STAMP) $(TCCLI)
	TKE_ORPHANS_TCCLI=$(abspath $(TCCLI)) $(PY) -m pytest

demo: $(STAMP)
	$(VENV)/bin/tke-orphans demo

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) $(TCCLI_VENV) .pytest_cache .mypy_cache .ruff_cache
