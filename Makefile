# Two commands: `make test` and `make demo`; both set everything up first (idempotent).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mmseg_uda-setup

.PHONY: setup test demo clean

setup: $(STAMP)

$(STAMP): setup.py requirements/runtime.txt requirements/tests.txt tools/setup_env.sh
	PYTHON=$(PYTHON) VENV=$(VENV) bash tools/setup_env.sh
	touch $@

test: setup
	$(PY) -m pytest tests

demo: setup
	$(PY) tools/run_demo.py

clean:
	rm -rf $(VENV) work_dirs
