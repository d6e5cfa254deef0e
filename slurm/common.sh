#!/usr/bin/env bash
# Shared by the pgxdl sbatch templates: environment, run directory and resume argument.
# Inputs (environment): EXPERIMENT (config file), RUN_DIR (default runs/slurm/<job name>).
# Outputs: RUN_DIR and RESUME_ARGS (empty, or --ckpt_path=last when the run has a last.ckpt
# and Lightning has no SLURM "hpc" checkpoint to restore by itself).
set -euo pipefail

: "${EXPERIMENT:=configs/experiment/simulated_cnn_gated.yaml}"
: "${RUN_DIR:=runs/slurm/${SLURM_JOB_NAME:-pgxdl}}"
export RUN_DIR EXPERIMENT

# W&B offline unless the user chose otherwise (compute nodes often have no network);
# later: wandb sync "$RUN_DIR"/wandb/offline-run-*
export WANDB_MODE="${WANDB_MODE:-offline}"
export OMP_NUM_THREADS="${SLURM_CPUS_PER_TASK:-4}"
export PYTHONUNBUFFERED=1

if [ -f .venv/bin/activate ]; then source .venv/bin/activate; fi

mkdir -p "$RUN_DIR"
RESUME_ARGS=""
if ! ls "$RUN_DIR"/hpc_ckpt_*.ckpt >/dev/null 2>&1 && [ -f "$RUN_DIR/checkpoints/last.ckpt" ]; then
  RESUME_ARGS="--ckpt_path=last"
fi
echo "pgxdl: run dir $RUN_DIR, experiment $EXPERIMENT, resume: ${RESUME_ARGS:-none}" \
     "(restart ${SLURM_RESTART_COUNT:-0})"
