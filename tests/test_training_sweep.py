"""The local sweep runner: W&B parameters as Optuna distributions, command macros, and
Optuna studies over a stand-in training program (results per trial, resume, parallel
trials on distinct devices, pruning, failures, a trial whose runner died), then the shipped
sweep over `pgxdl train`."""

from __future__ import annotations

import json
import math
import sys
import textwrap

import optuna
import pytest
import yaml
from fakes import build_tiny_store
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from pgxdl.commands import sweep as sweep_command
from pgxdl.paths import REPO_ROOT
from pgxdl.training import sweep_study
from pgxdl.training.sweep_file import SUPPORTED, read_sweep_file, suggest, trial_command
from pgxdl.training.sweep_study import SweepRun, open_study, run_sweep

SWEEP = REPO_ROOT / "configs" / "sweeps" / "cnn_gated.yaml"

# Stands in for train.py: "trains" for --epochs epochs, rewriting metrics_fit_progress.json
# after each (as RunSummary does) and writing metrics_fit.json at the end; val/loss is
# |x - 0.3| + 1/(epoch+1). Records CUDA_VISIBLE_DEVICES.
FAKE_TRAIN = textwrap.dedent('''
    import json, os, sys, time
    args = dict(a[2:].split("=", 1) for a in sys.argv[1:])
    run_dir = os.path.expandvars(args["run_dir"])  # as train.py expands $WANDB_RUN_ID
    os.makedirs(run_dir, exist_ok=True)
    open(os.path.join(run_dir, "device"), "w").write(os.environ.get("CUDA_VISIBLE_DEVICES", ""))
    if args.get("fail"):
        sys.exit("fake_train: asked to fail")
    def write(name, summary):
        open(os.path.join(run_dir, "tmp.json"), "w").write(json.dumps(summary))
        os.replace(os.path.join(run_dir, "tmp.json"), os.path.join(run_dir, name))
    for epoch in range(int(args.get("epochs", 3))):
        time.sleep(float(args.get("seconds", 0.2)))
        loss = abs(float(args["x"]) - 0.3) + 1 / (epoch + 1)
        write("metrics_fit_progress.json", {"epoch": epoch, "metrics": {"val/loss": loss}})
    write("metrics_fit.json", {"epoch": epoch + 1, "metrics": {"val/loss": loss}})
''')


def fake_sweep(tmp_path, parameters: dict, method: str = "random", name: str = "fake"):
    """A sweep file over the fake program, trials in tmp_path/runs/$WANDB_RUN_ID."""
    program = tmp_path / "fake_train.py"
    program.write_text(FAKE_TRAIN)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({
        "program": str(program), "method": method, "project": "pgxdl",
        "metric": {"name": "val/loss", "goal": "minimize"}, "parameters": parameters,
        "command": ["${env}", "${interpreter}", "${program}", "${args}",
                    f"--run_dir={tmp_path}/runs/$WANDB_RUN_ID"]}))
    return path


@pytest.fixture
def fast_polling(monkeypatch):
    monkeypatch.setattr(sweep_study, "POLL_S", 0.05)


def test_shipped_sweep_maps_to_optuna_distributions():
    sweep = read_sweep_file(SWEEP)
    assert sweep.method == "bayes" and sweep.metric == "val/loss" and not sweep.maximize
    assert sweep.space["model.optimizer.init_args.lr"] == FloatDistribution(0.0003, 0.003,
                                                                             log=True)
    assert sweep.space["data.init_args.batch_size"] == CategoricalDistribution([32, 64])
    dropout = sweep.space["model.network.init_args.sequence_encoder.init_args.dropout"]
    assert dropout == FloatDistribution(0.0, 0.3)
    assert yaml.safe_load(SWEEP.read_text())["project"] == "pgxdl"


def test_wandb_distributions_and_their_optuna_counterparts(tmp_path):
    path = fake_sweep(tmp_path, {
        "n": {"min": 1, "max": 3}, "f": {"min": 0.5, "max": 1.5},
        "e": {"distribution": "log_uniform", "min": -2, "max": 0},
        "q": {"distribution": "q_uniform", "min": 0, "max": 1, "q": 0.25},
        "c": {"value": "fixed"}, "k": {"distribution": "constant", "value": 7},
        "shape": {"values": [[32, 32], [64]]}})
    sweep = read_sweep_file(path)
    assert sweep.space["n"] == IntDistribution(1, 3)
    assert sweep.space["f"] == FloatDistribution(0.5, 1.5)
    assert sweep.space["e"] == FloatDistribution(math.exp(-2), 1.0, log=True)
    assert sweep.space["q"] == FloatDistribution(0, 1, step=0.25)
    assert sweep.fixed == {"c": "fixed", "k": 7}
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    drawn = [suggest(study.ask(), sweep) for _ in range(50)]
    assert {d["shape"] for d in map(lambda d: {**d, "shape": tuple(d["shape"])}, drawn)} == {
        (32, 32), (64,)}  # lists come back as lists, not as Optuna's JSON text
    assert all(d["q"] in (0, 0.25, 0.5, 0.75, 1.0) and d["n"] in (1, 2, 3) for d in drawn)
    assert all(math.exp(-2) <= d["e"] <= 1 and d["c"] == "fixed" for d in drawn)


def test_log_uniform_values_draws_are_uniform_in_log_space(tmp_path):
    sweep = read_sweep_file(fake_sweep(tmp_path, {"lr": {
        "distribution": "log_uniform_values", "min": 1e-4, "max": 1e-2}}))
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    draws = [suggest(study.ask(), sweep)["lr"] for _ in range(2000)]
    assert sum(d < 1e-3 for d in draws) / len(draws) == pytest.approx(0.5, abs=0.04)


@pytest.mark.parametrize("spec, message", [
    ({"distribution": "normal", "mu": 0, "sigma": 1}, "distribution 'normal' has no Optuna"),
    ({"values": [1, 2], "probabilities": [0.9, 0.1]}, "'probabilities' has no Optuna"),
    ({"distribution": "uniform", "min": 1}, "needs 'max'"),
    ({"min": 2, "max": 1}, "min 2 must be below max 1"),
    ({"parameters": {"a": {"value": 1}}}, "use flat dotted names"),
    ({"distribution": "log_uniform_values", "min": 0, "max": 1}, "needs min > 0"),
])
def test_unknown_or_bad_parameters_are_refused_naming_the_field(tmp_path, spec, message):
    with pytest.raises(ValueError, match=f"fake.yaml: parameters.p: .*{message}"):
        read_sweep_file(fake_sweep(tmp_path, {"p": spec}))


def test_grid_needs_values_and_bad_methods_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"a grid sweep lists values: \['x'\]"):
        read_sweep_file(fake_sweep(tmp_path, {"x": {"min": 0.0, "max": 1.0}}, method="grid"))
    with pytest.raises(ValueError, match="method: 'hyper': use one of bayes, random, grid"):
        read_sweep_file(fake_sweep(tmp_path, {}, method="hyper"))


def test_command_macros_expand_like_the_wandb_agent(tmp_path):
    sweep = read_sweep_file(fake_sweep(tmp_path, {}))
    sweep = sweep.__class__(**{**sweep.__dict__, "program": "train.py", "command": [
        "${env}", "${interpreter}", "${program}", "fit", "${args}", "--x", "${args_no_hyphens}"]})
    command = trial_command(sweep, {"a.b": 1, "c": "d"}, ["--extra=1"])
    assert command == [sys.executable, "train.py", "fit", "--a.b=1", "--c=d", "--x", "a.b=1",
                       "c=d", "--extra=1"]


def run_cli(*argv: str) -> int:
    parser = __import__("argparse").ArgumentParser(prog="pgxdl sweep")
    sweep_command.add_arguments(parser)
    return sweep_command.run(parser.parse_args(list(argv)))


def results(out) -> dict:
    return json.loads((out / "sweep_results.json").read_text())


def test_parallel_trials_get_distinct_devices_write_as_they_finish_and_resume(
        tmp_path, fast_polling):
    path = fake_sweep(tmp_path, {"x": {"min": 0.0, "max": 1.0}}, method="bayes")
    out = tmp_path / "out"
    assert run_cli(str(path), "--trials", "3", "--jobs", "2", "--devices", "5,7",
                   "--out", str(out), "--", "--epochs=2") == 0
    first = results(out)
    assert [t["state"] for t in first["trials"]] == ["complete"] * 3
    for trial in first["trials"]:
        x = trial["parameters"]["x"]
        assert trial["value"] == pytest.approx(abs(x - 0.3) + 1 / 2)  # the last epoch's
        assert trial["device"] in ("5", "7")
        assert (tmp_path / "runs" / trial["run_id"] / "device").read_text() == trial["device"]
        saved = json.loads((out / "trials" / f"{trial['run_id']}.json").read_text())
        assert saved == trial
    assert first["best"]["value"] == min(t["value"] for t in first["trials"])
    assert first["sampler"] == "TPESampler" and first["pruner"] == "MedianPruner"

    stamp = {p.name: p.stat().st_mtime_ns for p in (out / "trials").glob("*.json")}
    assert run_cli(str(path), "--trials", "4", "--out", str(out), "--", "--epochs=2") == 0
    second = results(out)
    assert [t["number"] for t in second["trials"]] == [0, 1, 2, 3]
    assert second["trials"][:3] == first["trials"]
    assert {p.name: p.stat().st_mtime_ns for p in (out / "trials").glob("*.json")
            if p.name in stamp} == stamp  # finished trials were not run again
    assert run_cli(str(path), "--trials", "4", "--out", str(out)) == 0
    assert len(results(out)["trials"]) == 4

    path.write_text(path.read_text().replace("max: 1.0", "max: 2.0"))
    with pytest.raises(ValueError, match="holds a study of another version of fake.yaml"):
        run_cli(str(path), "--trials", "5", "--out", str(out))


def test_trials_behind_the_median_are_pruned(tmp_path, fast_polling):
    path = fake_sweep(tmp_path, {"x": {"values": [0.3, 0.35, 0.4, 0.45, 1.5, 2.0]}},
                      method="grid")
    out = tmp_path / "out"
    run_cli(str(path), "--trials", "0", "--out", str(out), "--devices", "none", "--",
            "--epochs=6", "--seconds=0.15")
    trials = results(out)["trials"]
    assert len(trials) == 6
    pruned = [t for t in trials if t["state"] == "pruned"]
    assert pruned, trials
    for trial in pruned:
        earlier = [t for t in trials if t["state"] == "complete" and t["number"] < trial["number"]]
        step, value = max((int(k), v) for k, v in trial["intermediate_values"].items())
        peers = sorted(t["intermediate_values"][str(step)] for t in earlier)
        assert len(earlier) >= 3 and value > peers[(len(peers) - 1) // 2]
        run_dir = tmp_path / "runs" / trial["run_id"]
        assert not (run_dir / "metrics_fit.json").exists()  # stopped before the end
        assert json.loads((run_dir / "metrics_fit_progress.json").read_text())["epoch"] < 5


def test_failed_trials_are_recorded_with_their_log_in_the_storage_asked_for(tmp_path, fast_polling):
    path = fake_sweep(tmp_path, {"x": {"value": 0.1}, "fail": {"value": 1}})
    out = tmp_path / "out"
    shared = f"sqlite:///{tmp_path / 'shared.db'}"
    run_cli(str(path), "--trials", "2", "--out", str(out), "--devices", "none",
            "--storage", shared)
    report = results(out)
    assert [t["state"] for t in report["trials"]] == ["fail", "fail"] and report["best"] is None
    assert report["storage"] == shared and not (out / "optuna.db").exists()
    assert optuna.load_study(study_name="fake", storage=shared).trials[1].state.name == "FAIL"
    log = (out / "trials" / f"{report['trials'][0]['run_id']}.log").read_text()
    assert "fake_train: asked to fail" in log


def test_a_trial_whose_runner_died_is_run_again(tmp_path, fast_polling, monkeypatch):
    monkeypatch.setattr(sweep_study, "HEARTBEAT_S", 1)
    monkeypatch.setattr(sweep_study, "GRACE_PERIOD_S", 1)
    sweep = read_sweep_file(fake_sweep(tmp_path, {"x": {"min": 0.0, "max": 1.0}}))
    run = SweepRun(sweep=sweep, out=tmp_path / "out", trials=1, extra=["--epochs=1"])
    study = open_study(run)
    with pytest.warns(UserWarning, match="Heartbeat of storage"):  # ask is not optimize
        orphan = study.ask(fixed_distributions=sweep.space)  # a runner killed mid-trial
    study._storage.record_heartbeat(orphan._trial_id)
    __import__("time").sleep(2.5)
    report = run_sweep(run)
    states = {t["number"]: t["state"] for t in report["trials"]}
    assert states[0] == "fail"
    retry = next(t for t in report["trials"] if t["retry_of"] == 0)
    assert retry["state"] == "complete" and retry["parameters"] == orphan.params


def test_usage_shows_the_pass_through_and_errors_name_the_fix(tmp_path):
    parser = __import__("argparse").ArgumentParser(prog="pgxdl sweep")
    sweep_command.add_arguments(parser)
    assert "[-- TRAIN_OPTIONS ...]" in parser.format_usage()
    args = parser.parse_args(["s.yaml", "--trials", "3", "--", "--trials=9", "--a.b=1"])
    assert args.trials == 3 and args.train_options == ["--trials=9", "--a.b=1"]
    path = fake_sweep(tmp_path, {})
    path.write_text(path.read_text().replace("/$WANDB_RUN_ID", "/same"))
    with pytest.raises(ValueError, match="each trial needs its own run dir"):
        run_cli(str(path))
    with pytest.raises(ValueError, match="--trials 0 means the whole grid"):
        run_cli(str(fake_sweep(tmp_path, {})), "--trials", "0")


@pytest.mark.slow
def test_shipped_sweep_trains_resumes_and_scores_from_any_folder(tmp_path, monkeypatch):
    store = build_tiny_store(tmp_path / "tiny.h5", n_subjects=80, window_length=64)
    monkeypatch.chdir(tmp_path)  # not the checkout: the shipped sweep runs from anywhere
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("WANDB_MODE", "disabled")
    out = tmp_path / "sweep"
    train = [f"--data.init_args.store={store}", "--trainer.max_epochs=2",
             "--trainer.limit_train_batches=2", "--trainer.limit_val_batches=1",
             "--trainer.enable_progress_bar=false", f"--run_dir={tmp_path}/trials/$WANDB_RUN_ID"]
    assert run_cli("sweeps/cnn_gated.yaml", "--trials", "2", "--out", str(out), "--", *train) == 0
    assert run_cli("sweeps/cnn_gated.yaml", "--trials", "3", "--out", str(out), "--", *train) == 0
    report = results(out)
    assert [t["state"] for t in report["trials"]] == ["complete"] * 3
    best = report["best"]
    assert best["value"] == min(t["value"] for t in report["trials"])
    run_dir = tmp_path / "trials" / best["run_id"]
    summary = json.loads((run_dir / "metrics_fit.json").read_text())
    assert summary["metrics"]["val/loss"] == best["value"]
    # epochs are reported as the runner sees them; the last one always is
    assert best["intermediate_values"]["1"] == best["value"]
    progress = json.loads((run_dir / "metrics_fit_progress.json").read_text())
    assert progress["epoch"] == 1 and progress["metrics"]["val/loss"] == best["value"]
    lr = best["parameters"]["model.optimizer.init_args.lr"]
    assert f"lr: {lr}" in (run_dir / "config_fit.yaml").read_text()


def test_a_trial_never_reuses_a_run_dir(tmp_path):
    sweep = read_sweep_file(fake_sweep(tmp_path, {"x": {"value": 0.1}}))
    run = SweepRun(sweep=sweep, out=tmp_path / "out", trials=1)
    prefix = open_study(run).user_attrs["run_prefix"]
    other = open_study(SweepRun(sweep=sweep, out=tmp_path / "other", trials=1))
    assert other.user_attrs["run_prefix"] != prefix  # two studies of one file, two run dirs
    kept = tmp_path / "runs" / f"{prefix}-t000"
    kept.mkdir(parents=True)
    (kept / "metrics_fit.json").write_text("{}")
    with pytest.raises(FileExistsError, match=f"trial run dir {kept} exists already"):
        run_sweep(run)


def test_pgxdl_sweep_passes_options_after_double_dash_and_errors_in_one_line(
        tmp_path, fast_polling, capsys):
    from pgxdl.cli import main

    path = fake_sweep(tmp_path, {"x": {"values": [0.2]}})
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--trials", "1", "--out", str(out), "--devices", "none",
                 "--", "--epochs=2", "--seconds=0.05"]) == 0
    trial = results(out)["trials"][0]
    assert trial["state"] == "complete" and set(trial["intermediate_values"]) <= {"0", "1"}
    assert trial["value"] == pytest.approx(0.1 + 1 / 2)  # two epochs, as passed after --
    bad = fake_sweep(tmp_path, {"x": {"distribution": "beta"}}, name="bad")
    assert main(["sweep", str(bad)]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert error == [f"pgxdl sweep: error: {bad}: parameters.x: distribution 'beta' has no "
                     f"Optuna counterpart; use one of {', '.join(SUPPORTED)}"]


def test_a_database_password_never_reaches_the_result_files(tmp_path):
    sweep = read_sweep_file(fake_sweep(tmp_path, {}))
    run = SweepRun(sweep=sweep, out=tmp_path, trials=1, storage="postgresql://me:secret@db/x")
    assert run.storage_shown == "postgresql://me:***@db/x"
