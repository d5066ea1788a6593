# The two commands a newcomer needs: `make demo` and `make test`. Each sets everything up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# The official CLI, in its own venv: it pulls the whole 400 MB SDK, which the product does not need.
TCCLI_VENV := .venv-tccli
TCCLI      := $(TCCLI_VENV)/bin/tccli

.PHONY: test demo docs lint bench bench-full clean browser mutate

# The product and its test kit (testkit/: the emulator, the chat sinks, the demo), together: a change to either
# pyproject reinstalls both.
$(STAMP): pyproject.toml testkit/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ./testkit -e '.[dev]'
	touch $(STAMP)

$(TCCLI):
	test -x $(TCCLI_VENV)/bin/python || $(PYTHON) -m venv $(TCCLI_VENV)
	$(TCCLI_VENV)/bin/pip install -q tccli

# Headless Chromium and a CJK font for the status page test; Debian's packages, installed when we may, waiting for
# apt's locks while another job holds them (scripts/browser.sh).
browser:
	@sh scripts/browser.sh

test: $(STAMP) $(TCCLI) browser
	TKE_ORPHANS_TCCLI=$(abspath $(TCCLI)) $(PY) -m pytest

demo: $(STAMP)
	$(VENV)/bin/tke-orphans demo

# The docs' samples (the README's demo table and WeCom message, docs/notifications.md), made anew by the product
# itself (scripts/docs.py); a test fails while they differ.
docs: $(STAMP)
	$(PY) scripts/docs.py --write

# The benchmark (bench/run.py): S, M and a small organization in a few minutes; every world, XL and the
# organizations of 10, 25 and 50 members x 4 regions included, with bench-full.
bench: $(STAMP)
	$(PY) bench/run.py --worlds S,M,org-5x2 --json bench/results-small.json

bench-full: $(STAMP)
	$(PY) bench/run.py --worlds all --org 1,2 --json bench/results.json

# The promise check: each README promise broken on purpose, its tests must go red (docs/mutation.md). Not in CI.
mutate: $(STAMP) $(TCCLI) browser
	TKE_ORPHANS_TCCLI=$(abspath $(TCCLI)) $(PY) scripts/mutate.py --write

lint: $(STAMP)
	$(VENV)/bin/ruff check src testkit/src tests bench scripts
	$(VENV)/bin/ruff format --check src testkit/src tests bench scripts
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) $(TCCLI_VENV) .pytest_cache .mypy_cache .ruff_cache
