"""The SLURM job scripts: bash syntax, requeue settings, the checkpoint a requeued job
resumes from, the argv they hand to srun, and the sweep job requeueing itself."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import pytest

from pgxdl.paths import REPO_ROOT

SLURM = REPO_ROOT / "slurm"
JOBS = sorted(SLURM.glob("*.sbatch"))


@pytest.fixture
def submit_dir(tmp_path):
    """A folder to submit from holding slurm/ and no .venv (the scripts would activate one)."""
    folder = tmp_path / "submit"
    shutil.copytree(SLURM, folder / "slurm")
    return folder


def bash(script: str, cwd=REPO_ROOT, env=None) -> str:
    done = subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("path", [*JOBS, SLURM / "common.sh"], ids=lambda p: p.name)
def test_scripts_parse(path):
    subprocess.run(["bash", "-n", str(path)], check=True)


@pytest.mark.parametrize("path", JOBS, ids=lambda p: p.name)
def test_jobs_requeue_and_keep_their_log(path):
    directives = [line.split()[1] for line in path.read_text().splitlines()
                  if line.startswith("#SBATCH")]
    assert "--requeue" in directives and "--open-mode=append" in directives
    assert any(d.startswith("--signal=") for d in directives)
    assert "NCCL_ASYNC_ERROR_HANDLING" not in path.read_text().replace("TORCH_NCCL", "")


def test_nccl_async_error_handling_uses_the_current_name():
    text = (SLURM / "common.sh").read_text()
    assert "export TORCH_NCCL_ASYNC_ERROR_HANDLING=1" in text
    assert "NCCL_ASYNC_ERROR_HANDLING" not in text.replace("TORCH_NCCL", "")


def touch(path, mtime: float):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    os.utime(path, (mtime, mtime))


def newest(run_dir) -> str:
    return bash(f'source slurm/common.sh --functions-only && newest_checkpoint "{run_dir}"')


def test_newest_checkpoint_by_modification_time(tmp_path):
    assert newest(tmp_path) == ""
    last = tmp_path / "checkpoints" / "last.ckpt"
    touch(last, 2_000)
    assert newest(tmp_path) == str(last)
    touch(tmp_path / "hpc_ckpt_1.ckpt", 1_000)  # an old preemption; training went on since
    assert newest(tmp_path) == str(last)
    touch(tmp_path / "hpc_ckpt_2.ckpt", 3_000)  # saved on SLURM's signal, after last.ckpt
    touch(tmp_path / "hpc_ckpt_10.ckpt", 2_500)  # a higher number is not what counts
    assert newest(tmp_path) == str(tmp_path / "hpc_ckpt_2.ckpt")


def fake_commands(tmp_path, **bodies: str) -> dict:
    """An environment whose PATH starts with scripts named after ``bodies``' keys."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in bodies.items():
        (bin_dir / name).write_text(f"#!/usr/bin/env bash\n{body}\n")
        (bin_dir / name).chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}


def srun_recorder(tmp_path) -> dict:
    """An environment whose ``srun`` writes its argv, one per line, to tmp_path/srun_argv."""
    return fake_commands(tmp_path, srun=f'printf "%s\\n" "$@" > {tmp_path / "srun_argv"}')


def test_training_job_resumes_from_the_newest_checkpoint(tmp_path, submit_dir):
    run_dir = tmp_path / "run"
    touch(run_dir / "hpc_ckpt_1.ckpt", 1_000)
    touch(run_dir / "checkpoints" / "last.ckpt", 2_000)
    env = srun_recorder(tmp_path)
    env.update(RUN_DIR=str(run_dir), SLURM_NTASKS_PER_NODE="4", SLURM_NNODES="2")
    for job in ("train_single_node.sbatch", "train_multi_node.sbatch"):
        output = bash(f"bash slurm/{job} --trainer.max_epochs=3", cwd=submit_dir, env=env)
        assert f"resume: {run_dir}/checkpoints/last.ckpt" in output
        argv = (tmp_path / "srun_argv").read_text().splitlines()
        assert argv[:2] == ["python", "train.py"]
        assert argv[-3:] == [f"--run_dir={run_dir}",
                             f"--ckpt_path={run_dir}/checkpoints/last.ckpt",
                             "--trainer.max_epochs=3"]


def test_fresh_training_job_passes_no_checkpoint(tmp_path, submit_dir):
    env = srun_recorder(tmp_path)
    env.update(RUN_DIR=str(tmp_path / "new"), SLURM_NTASKS_PER_NODE="1", SLURM_NNODES="1")
    bash("bash slurm/train_single_node.sbatch", cwd=submit_dir, env=env)
    argv = (tmp_path / "srun_argv").read_text().splitlines()
    assert not [a for a in argv if a.startswith("--ckpt_path")]
    assert argv[-1] == f"--run_dir={tmp_path / 'new'}"


def test_sweep_job_requeues_itself_on_the_signal(tmp_path, submit_dir):
    calls = tmp_path / "calls"
    env = fake_commands(tmp_path, python=f'echo "python $*" >> {calls}; exec sleep 30',
                        scontrol=f'echo "scontrol $*" >> {calls}')
    env.update(SLURM_JOB_ID="41", SLURM_ARRAY_JOB_ID="40", SLURM_ARRAY_TASK_ID="3")
    job = subprocess.Popen(["bash", "slurm/sweep_agent.sbatch"], cwd=submit_dir,
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 20
    while not (calls.is_file() and "python" in calls.read_text()):
        assert time.monotonic() < deadline and job.poll() is None, job.stdout.read()
        time.sleep(0.1)
    job.send_signal(signal.SIGUSR1)  # what --signal=B:USR1@120 sends the batch shell
    output, _ = job.communicate(timeout=20)
    assert job.returncode == 0, output
    lines = calls.read_text().splitlines()
    assert lines[0].startswith("python -m pgxdl sweep configs/sweeps/cnn_gated.yaml")
    assert "--seed 3" in lines[0] and "runs/sweeps/cnn_gated/task_3" in lines[0]
    assert lines[1] == "scontrol requeue 40_3"
    assert "requeueing 40_3" in output
