#!/usr/bin/env bash
# Create .venv with everything mmseg_uda needs on a CPU-only machine.
#
#   bash tools/setup_env.sh            # idempotent; seconds once the mmcv wheel is cached
#
# Steps: venv -> CPU torch 2.13.0 (from the machine's local wheel) -> mmcv 2.1.0 with CPU ops,
# built from source ONCE into $MMSEG_UDA_WHEEL_CACHE and re-used afterwards -> mmengine, mmseg and
# this package (editable) -> test requirements.
# GPU users: install torch + mmcv the OpenMMLab way (mim install "mmcv>=2.0.0,<2.2.0") and then
# `pip install -r requirements/runtime.txt -e .` -- nothing else changes.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
VENV=${VENV:-.venv}
TORCH_VERSION=${TORCH_VERSION:-2.13.0}
MMCV_VERSION=${MMCV_VERSION:-2.1.0}
CACHE=${MMSEG_UDA_WHEEL_CACHE:-$HOME/.cache/mmseg_uda/wheels}
mkdir -p "$CACHE"

if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating $VENV"
  "$PY" -m venv "$VENV"
fi
VPY="$VENV/bin/python"
PIP=("$VPY" -m pip install --disable-pip-version-check -q)

# 1. CPU torch, pinned so nothing can pull a CUDA build.
if ! "$VPY" -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH_VERSION')" 2>/dev/null; then
  echo "[setup] installing torch==$TORCH_VERSION"
  "${PIP[@]}" "torch==$TORCH_VERSION"
fi
CONSTRAINT=$(mktemp); trap 'rm -f "$CONSTRAINT"' EXIT
echo "torch==$TORCH_VERSION" > "$CONSTRAINT"

# 2. full mmcv with CPU ops: build once into the wheel cache.
if ! "$VPY" -c "import mmcv, mmcv.ops, sys; sys.exit(mmcv.__version__ != '$MMCV_VERSION')" 2>/dev/null; then
  wheel=$(ls "$CACHE"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n1 || true)
  if [ -z "$wheel" ]; then
    # mmcv 2.1.0's setup.py needs setuptools<70 while torch 2.13 declares setuptools>=77, so the
    # build gets a throw-away venv of its own; .venv itself stays consistent.
    echo "[setup] building mmcv==$MMCV_VERSION with CPU ops into $CACHE (about 10 minutes, once)"
    BUILD_VENV=$(mktemp -d)/venv
    "$PY" -m venv "$BUILD_VENV"
    "$BUILD_VENV/bin/python" -m pip install --disable-pip-version-check -q "torch==$TORCH_VERSION"
    "$BUILD_VENV/bin/python" -m pip install --disable-pip-version-check -q \
      "setuptools<70" wheel packaging ninja numpy pyyaml addict yapf
    MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS=${MAX_JOBS:-2} "$BUILD_VENV/bin/python" -m pip wheel \
      --disable-pip-version-check -q --no-build-isolation --no-deps -w "$CACHE" "mmcv==$MMCV_VERSION"
    rm -rf "$(dirname "$BUILD_VENV")"
    wheel=$(ls "$CACHE"/mmcv-"$MMCV_VERSION"-*.whl | head -n1)
  fi
  echo "[setup] installing $(basename "$wheel")"
  "${PIP[@]}" -c "$CONSTRAINT" "$wheel"
fi

# 3. the rest, then this package in editable mode.
"${PIP[@]}" -c "$CONSTRAINT" -r requirements/runtime.txt -r requirements/tests.txt
"${PIP[@]}" -c "$CONSTRAINT" --no-build-isolation --no-deps -e .
"$VPY" -c "import torch, mmcv, mmcv.ops, mmengine, mmseg, mmseg_uda; print('[setup] ok: torch', torch.__version__, '| mmcv', mmcv.__version__, '| mmengine', mmengine.__version__, '| mmseg', mmseg.__version__)"
