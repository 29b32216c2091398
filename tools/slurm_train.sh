#!/usr/bin/env bash
# Training on a Slurm cluster with srun, one task per GPU.
#
#   GPUS=8 bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG [train.py args]
#
# GPUS (total tasks, default 4), GPUS_PER_NODE (default 4), CPUS_PER_TASK (default 5) and
# SRUN_ARGS as in MMSegmentation; PYTHON selects the interpreter (default: `python` on PATH).
set -x

PARTITION=$1
JOB_NAME=$2
CONFIG=$3
GPUS=${GPUS:-4}
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
srun -p ${PARTITION} \
    --job-name=${JOB_NAME} \
    --gres=gpu:${GPUS_PER_NODE} \
    --ntasks=${GPUS} \
    --ntasks-per-node=${GPUS_PER_NODE} \
    --cpus-per-task=${CPUS_PER_TASK} \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    ${PYTHON:-python} -u "$(dirname "$0")/train.py" "$CONFIG" --launcher="slurm" "${@:4}"
