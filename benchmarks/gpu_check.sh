#!/usr/bin/env bash
# GPU check: step times and peak memory of the paper configs at paper sizes, then two training
# iterations of every shipped config, all on one CUDA device. Sized for under 8 minutes on one
# H200 (an estimate: it has only run as --dry-run on CPU so far); every step has a time limit.
#
#   bash benchmarks/gpu_check.sh [--out DIR] [--dry-run]
#
# Run it from anywhere on a machine with torch (CUDA build), mmcv (with its CUDA ops), mmengine,
# mmseg and this package installed (README, "GPU install"); PYTHON selects the interpreter
# (default: `python`). It prints the versions first, then
#   1. benchmarks/bench_train_step.py, variant "as configured", on each of PAPER_CONFIGS with
#      source 1280x720 + target 1024x512, batch 1+1: fp32, AMP bf16, AMP fp16 (AmpOptimWrapper
#      per optimizer, as tools/train.py --amp) and fp32 channels_last; ms/step and peak
#      torch.cuda.max_memory_allocated;
#   2. benchmarks/smoke_configs.py: two iterations of every shipped config (the check of
#      tests/test_configs.py::test_config_trains), 512x512 random batches of 2+2.
# Every step runs in its own process under `timeout`, part 1 within 300 s of the start and the
# whole check within 450 s (a step past the budget is a SKIPPED row); a failure is a table row
# naming the error and the next step runs. The markdown report is printed at the end and written to
# DIR/gpu_check.md (DIR: --out, else $OUT, else work_dirs/gpu_check), the full logs next to it.
# The exit status is 1 when anything failed.
#
# --dry-run: the same steps on CPU at tiny sizes (64x64, batch 1, one step after none, one paper
# config, three configs for part 2), so that this script is tested without a GPU. There the AMP
# rows fail by design, with enable_amp's error (AmpOptimWrapper needs CUDA), and do not count as
# failures.
set -u

# The whole script is one function, read in full before it runs (safe to edit meanwhile).
main() {
    REPO="$(cd "$(dirname "$0")/.." && pwd)"
    PY=${PYTHON:-python}
    OUT_DIR=${OUT:-$REPO/work_dirs/gpu_check}
    DRY_RUN=0
    while [ $# -gt 0 ]; do
        case "$1" in
            --out) OUT_DIR=$2; shift 2 ;;
            --dry-run) DRY_RUN=1; shift ;;
            -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
            *) echo "gpu_check.sh: unknown argument '$1' (use --out DIR, --dry-run)" >&2; exit 2 ;;
        esac
    done

    PAPER_CONFIGS=(configs/patch_align/gta2cs.py configs/output_space/gta2cs_deeplabv2_r101_1xb1.py
                   configs/fcn_wild/gta2cs_vgg16_ga.py)
    if [ $DRY_RUN = 1 ]; then
        DEVICE=cpu
        STEP_SIZE=(--batch 1 --height 64 --width 64 --target-height 64 --target-width 64
                   --iters 1 --warmup 0 --threads 1)
        STEP_TIMEOUT=120
        STEP_BUDGET=1200
        TOTAL_BUDGET=1800
        PAPER_CONFIGS=(configs/patch_align/gta2cs.py)
        SMOKE_ARGS=(--size 64 64 --batch 1 --iters 1 --configs configs/demo/output_space_synthetic.py
                    configs/patch_align/camvid_day2dusk_tiny.py
                    configs/fcn_wild/camvid_day2dusk_ga_ca.py)
        SMOKE_TIMEOUT=120
    else
        DEVICE=cuda
        STEP_SIZE=(--batch 1 --height 720 --width 1280 --target-height 512 --target-width 1024
                   --iters 5 --warmup 3)
        STEP_TIMEOUT=120
        STEP_BUDGET=300  # seconds from the start for part 1, TOTAL_BUDGET for everything
        TOTAL_BUDGET=450
        SMOKE_ARGS=(--size 512 512 --batch 2 --iters 2)
        SMOKE_TIMEOUT=300
    fi
    # What mmseg_uda.engine.enable_amp says on a machine without CUDA (the dry run's AMP rows).
    CPU_AMP_ERROR='--amp needs a CUDA device'
    PRECISIONS=("fp32:--amp none" "bf16:--amp bf16" "fp16:--amp fp16" "channels_last:--channels-last")

    mkdir -p "$OUT_DIR" || exit 2
    REPORT=$OUT_DIR/gpu_check.md
    STEPS=$OUT_DIR/step_rows.md
    SMOKE=$OUT_DIR/smoke_rows.md
    : > "$STEPS"
    : > "$SMOKE"
    cd "$REPO" || exit 2
    export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
    [ $DEVICE = cpu ] && export OMP_NUM_THREADS=1
    FAILED=0
    START=$(date +%s)

    VERSIONS=$("$PY" - "$DEVICE" <<'EOF' 2>&1
import platform, sys
import torch
print(f'python {platform.python_version()}, torch {torch.__version__}, CUDA build '
      f'{torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}')
if torch.cuda.is_available():
    p = torch.cuda.get_device_properties(0)
    print(f'GPU 0: {p.name}, {p.total_memory / 2**30:.0f} GiB, compute capability '
          f'{p.major}.{p.minor}, bf16 supported: {torch.cuda.is_bf16_supported()}')
else:
    print('no CUDA device')
import mmcv, mmengine, mmseg, mmseg_uda
try:
    from mmcv.ops import get_compiler_version, get_compiling_cuda_version
    ops = f'ops compiled with {get_compiler_version()}, CUDA {get_compiling_cuda_version()}'
except Exception as exc:  # mmcv without compiled ops: the package itself does not need them
    ops = f'no compiled ops: {type(exc).__name__}: {exc}'
print(f'mmcv {mmcv.__version__} ({ops}), mmengine {mmengine.__version__}, mmseg '
      f'{mmseg.__version__}, mmseg_uda {mmseg_uda.__version__}')
if sys.argv[1] == 'cuda' and not torch.cuda.is_available():
    sys.exit('gpu_check.sh: torch.cuda.is_available() is False; use --dry-run on CPU')
EOF
    ) || { echo "$VERSIONS"; echo 'gpu_check.sh: the version check failed' >&2; exit 1; }
    echo "$VERSIONS"

    # run LOG LIMIT DEADLINE ROWS ROW_PREFIX EXPECTED CMD...: CMD under a time limit of LIMIT
    # seconds, cut to what is left before DEADLINE (epoch seconds), its output in LOG. A failure
    # adds the row ROW_PREFIX + the error to ROWS when CMD wrote none of its own, and always when
    # CMD was killed (rows after its last one are missing). A failure whose log contains EXPECTED
    # (when not empty) does not count as one.
    run() {
        local log=$1 limit=$2 deadline=$3 rows=$4 prefix=$5 expected=$6
        shift 6
        local before after status t0 left why
        left=$(( deadline - $(date +%s) ))
        if [ $left -lt 15 ]; then
            echo "- skipped (time budget spent): $*"
            echo "$prefix SKIPPED: the time budget of this check was spent |" >> "$rows"
            FAILED=1
            return
        fi
        [ $left -lt $limit ] && limit=$left
        before=$(wc -l < "$rows")
        t0=$(date +%s)
        echo "+ $*"
        timeout --signal=KILL "$limit" "$@" > "$log" 2>&1
        status=$?
        tail -n 3 "$log"
        echo "  (exit $status after $(( $(date +%s) - t0 )) s)"
        [ $status = 0 ] && return
        if [ -n "$expected" ] && grep -qF -- "$expected" "$log"; then
            echo "  expected failure: $expected"
        else
            FAILED=1
        fi
        after=$(wc -l < "$rows")
        if [ $status = 137 ]; then
            why="killed after ${limit} s (time limit or out of memory)"
        elif [ "$after" = "$before" ]; then
            why="exit $status: $(grep -v '^\s*$' "$log" | tail -n 1 | tr '|' '/' | cut -c1-300)"
        else
            return
        fi
        echo "$prefix FAILED: $why |" >> "$rows"
    }

    for config in "${PAPER_CONFIGS[@]}"; do
        for entry in "${PRECISIONS[@]}"; do
            name=${entry%%:*}
            read -r -a flags <<< "${entry#*:}"
            expected=''
            [ $DRY_RUN = 1 ] && [ "${flags[0]}" = --amp ] && [ "${flags[1]}" != none ] &&
                expected=$CPU_AMP_ERROR
            run "$OUT_DIR/step_$(basename "$config" .py)_$name.log" $STEP_TIMEOUT \
                $(( START + STEP_BUDGET )) "$STEPS" \
                "| $config | as configured | $DEVICE | $name | | | | |" "$expected" \
                "$PY" benchmarks/bench_train_step.py --config "$config" --variants 'as configured' \
                --device $DEVICE "${STEP_SIZE[@]}" "${flags[@]}" --markdown "$STEPS"
        done
    done
    run "$OUT_DIR/smoke_configs.log" $SMOKE_TIMEOUT $(( START + TOTAL_BUDGET )) "$SMOKE" \
        "| (all configs) | $DEVICE | | | | | |" '' \
        "$PY" benchmarks/smoke_configs.py --device $DEVICE "${SMOKE_ARGS[@]}" --markdown "$SMOKE"

    {
        echo "# GPU check$([ $DRY_RUN = 1 ] && echo ' (dry run on CPU)')"
        echo
        echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null)"
        echo
        echo '```'
        echo "$VERSIONS"
        echo '```'
        echo
        echo '## Training step, paper configs (benchmarks/bench_train_step.py, variant "as configured")'
        echo
        echo -n '| config | variant | device | precision | memory format | batch | source | target '
        echo '| ms/step | peak MiB | patch modules |'
        echo '|---|---|---|---|---|---|---|---|---|---|---|'
        cat "$STEPS"
        echo
        echo '## Two iterations of every shipped config (benchmarks/smoke_configs.py)'
        echo
        echo '| config | device | batch | size | s/iter | peak MiB | parameters | result |'
        echo '|---|---|---|---|---|---|---|---|'
        cat "$SMOKE"
        echo
        echo "Total wall time: $(( $(date +%s) - START )) s; logs in $OUT_DIR."
    } > "$REPORT"
    echo
    cat "$REPORT"
    return $FAILED
}

main "$@"
