# Two commands: `make test` and `make demo`; both set everything up first (idempotent).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mmseg_uda-setup

.PHONY: setup camvid-link test demo clean

setup: $(STAMP) camvid-link

$(STAMP): setup.py requirements/runtime.txt requirements/tests.txt tools/setup_env.sh
	PYTHON=$(PYTHON) VENV=$(VENV) bash tools/setup_env.sh
	touch $@

# A checkout with ../shared beside it: link its CamVid day -> dusk frames where the configs read
# them (data/ is not tracked). Elsewhere build data/camvid_daydusk with
# tools/dataset_converters/camvid.py; an existing data/camvid_daydusk is left alone.
camvid-link:
	@if [ -d ../shared/data/camvid_daydusk ] && [ ! -e data/camvid_daydusk ]; then \
	  mkdir -p data && ln -sfn ../../shared/data/camvid_daydusk data/camvid_daydusk && \
	  echo "[setup] data/camvid_daydusk -> ../../shared/data/camvid_daydusk"; fi

test: setup
	$(PY) -m pytest tests

demo: setup
	$(PY) tools/run_demo.py

clean:
	rm -rf $(VENV) work_dirs
