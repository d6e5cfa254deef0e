#!/usr/bin/env bash
# The GPU checks as one prepared run: the machine, the GPU tests (pytest -m gpu: device
# parity, bf16, Lightning on the GPU, DDP over NCCL, determinism), the training-throughput
# benchmark (CNN and RNN, fp32 and bf16, batch 64, 256 and 1024), the quickstart on the GPU,
# attribution recovery with 50-kb windows (issue 20's AUROC target), then the CPU suite (not slow) on the same software stack.
#
#   bash benchmarks/device_check.sh [OUT_DIR]      (default <repo>/benchmarks/results/device)
#   STEPS="gpu_tests throughput" bash benchmarks/device_check.sh   (only those steps;
#   throughput needs store)
#
# Needs pgxdl importable (installed, or PYTHONPATH=<repo>) and a CUDA GPU. Each step has
# a time limit and writes OUT_DIR/<step>.log; a failed step does not stop the later ones,
# and the exit status is the number of steps that failed.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$repo/benchmarks/results/device}" && cd "${1:-$repo/benchmarks/results/device}" && pwd)
cd "$repo"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PYTHONUNBUFFERED=1 WANDB_MODE=${WANDB_MODE:-offline}
python=${PYTHON:-python3}
failed=0
all_steps="machine gpu_tests store throughput quickstart attribution_50kb cpu_suite"
steps=" ${STEPS:-$all_steps} "
for name in $steps; do
  [[ " $all_steps " == *" $name "* ]] || { echo "unknown step '$name'; steps: $all_steps" >&2; exit 2; }
done

step() {  # step NAME SECONDS COMMAND...: run COMMAND for at most SECONDS, log to NAME.log
  local name=$1 limit=$2 start=$SECONDS status
  shift 2
  [[ $steps == *" $name "* ]] || return 0
  echo "== $name (limit ${limit} s): $*"
  timeout "$limit" "$@" >"$out/$name.log" 2>&1
  status=$?
  echo "== $name: exit $status after $((SECONDS - start)) s; last lines:"
  tail -n 20 "$out/$name.log"
  [ "$status" -eq 0 ] || failed=$((failed + 1))
}

step machine 60 "$python" -c '
import torch, pytorch_lightning as pl
print("torch", torch.__version__, "lightning", pl.__version__, "cuda", torch.version.cuda,
      "cudnn", torch.backends.cudnn.version())
for i in range(torch.cuda.device_count()):
    p = torch.cuda.get_device_properties(i)
    print(i, p.name, f"{p.total_memory / 2**30:.0f} GiB", f"sm_{p.major}{p.minor}",
          "bf16", torch.cuda.is_bf16_supported(), "nccl", torch.cuda.nccl.version())'
step gpu_tests 300 "$python" -m pytest -m gpu -s -rA -p no:cacheprovider tests/test_gpu.py
step store 120 "$python" -m pgxdl build data/simulated.yaml --set n_subjects=20000 \
  --out "$work/simulated.h5"
step throughput 240 "$python" benchmarks/train_throughput.py --device cuda \
  --store "$work/simulated.h5" --precision fp32 bf16 --batch-size 64 256 1024 --num-workers 4 \
  --steps 40 --out "$out/train_throughput.json"
step quickstart 240 "$python" -m pgxdl quickstart --out "$work/quickstart"
step attribution_50kb 420 "$python" benchmarks/attribution_recovery.py --seeds 0 \
  --backgrounds random --window-length 50000 --windows 2 --sites-per-window 8 \
  --methods ig saliency --internal-batch-size 32 --subtract-reference --accelerator gpu \
  --threads 8 \
  --out "$out/attribution_50kb"
step cpu_suite 150 "$python" -m pytest -q -n 8 -m "not slow and not gpu" -p no:cacheprovider
echo "device check: $failed step(s) failed; logs and JSON in $out"
exit "$failed"
