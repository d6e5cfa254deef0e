#!/usr/bin/env bash
# Shared by the pgxdl sbatch templates: environment, run directory and resume argument.
# Inputs (environment): EXPERIMENT (config file), RUN_DIR (default runs/slurm/<job name>).
# Outputs: RUN_DIR and RESUME_ARGS (an array: empty, or --ckpt_path=<the newest checkpoint>).
set -euo pipefail

# newest_checkpoint DIR: the newest, by modification time, of DIR/hpc_ckpt_*.ckpt (saved by
# Lightning when SLURM signals the end of the allocation) and DIR/checkpoints/last.ckpt
# (saved every epoch); prints nothing when there is neither. A job requeued by that signal
# has a fresh hpc_ckpt; one requeued otherwise (node failure, `scontrol requeue`, a
# preemption without the signal) may have an older hpc_ckpt than its last.ckpt, which
# Lightning would otherwise restore by itself.
newest_checkpoint() {
  local newest="" candidate
  for candidate in "$1"/hpc_ckpt_*.ckpt "$1"/checkpoints/last.ckpt; do
    [ -f "$candidate" ] || continue
    if [ -z "$newest" ] || [ "$candidate" -nt "$newest" ]; then newest="$candidate"; fi
  done
  printf '%s' "$newest"
}

# Sourced by the job scripts; `source slurm/common.sh --functions-only` (tests) stops here.
if [ "${1:-}" = "--functions-only" ]; then return 0 2>/dev/null || exit 0; fi

: "${EXPERIMENT:=configs/experiment/simulated_cnn_gated.yaml}"
: "${RUN_DIR:=runs/slurm/${SLURM_JOB_NAME:-pgxdl}}"
export RUN_DIR EXPERIMENT

# W&B: online when the user is logged in (netrc, WANDB_API_KEY), else offline; compute
# nodes without network need WANDB_MODE=offline and later: wandb sync "$RUN_DIR"/wandb/offline-run-*
export OMP_NUM_THREADS="${SLURM_CPUS_PER_TASK:-4}"
export PYTHONUNBUFFERED=1
# A rank that hits an NCCL error or timeout aborts (and the job fails) instead of hanging.
export TORCH_NCCL_ASYNC_ERROR_HANDLING=1

if [ -f .venv/bin/activate ]; then source .venv/bin/activate; fi

mkdir -p "$RUN_DIR"
RESUME_ARGS=()
RESUME_FROM="$(newest_checkpoint "$RUN_DIR")"
if [ -n "$RESUME_FROM" ]; then RESUME_ARGS=("--ckpt_path=$RESUME_FROM"); fi
echo "pgxdl: run dir $RUN_DIR, experiment $EXPERIMENT, resume: ${RESUME_FROM:-none}" \
     "(restart ${SLURM_RESTART_COUNT:-0})"
