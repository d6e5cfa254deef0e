"""Benchmark: supervised dose models as the first dose, nomogram or agent titrating after.

Usage::

    python benchmarks/rl_initiation.py [--seeds 0 1 2 3 4] [--n-patients 500]
        [--agent-run runs/rl/dqn/seed_0] [--out DIR]
    python benchmarks/rl_initiation.py --quick --iwpc tiny.csv --out /tmp/x   # a test runs it

Dose models (:mod:`pgxdl.rl.policies.initiation`), all through one interface (records ->
weekly dose and an 80 % interval), each trained on the same random 80 % of the scoreable
IWPC patients and scored on the other 20 %: the IWPC pharmacogenetic formula and a
gradient-boosting pgxdl dose model (:func:`pgxdl.baselines.models.make_model`, IWPC
feature set), both with split-conformal intervals (quantiles of log(observed / predicted)
on the held-out 20 %); and the recipe pgxdl recommends for a new hospital,
:class:`pgxdl.baselines.site_recipes.RecommendedDoseModel` (recipe chosen out of site
within the training sites, missing inputs imputed, its own conformal 80 % interval),
adapted by :class:`RecommendedStart` (the ``rl`` layer does not import ``baselines``).
Held-out scores are of the inputs a virtual patient has (age, height, weight, race,
genotypes, inducers, amiodarone); the recommended recipe's also with all its inputs.
Policies: the IWPC protocol as shipped
(:class:`~pgxdl.rl.policies.clinical_protocols.IWPCGuidedProtocol`), each model's dose
then the nomogram, the same with the titrated dose kept inside the model's interval for
14 days, and, with ``--agent-run``, the model's dose for 3 days then that trained agent.
Every policy doses the same cohorts (seed 20000 + seed) under every simulator; means over
seeds with 95 % t-intervals, and the paired difference against the IWPC-formula start.
Writes ``results.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from pgxdl.baselines.models import make_model
from pgxdl.baselines.site_recipes import CANDIDATES, RecommendedDoseModel
from pgxdl.commands.external import QUICK_CANDIDATES
from pgxdl.io import write_json
from pgxdl.iwpc.features import FEATURE_SETS, derive_features
from pgxdl.iwpc.formulas import IWPCFormula
from pgxdl.iwpc.policy import select_patients
from pgxdl.iwpc.table import read_iwpc_table
from pgxdl.paths import REPO_ROOT, shared_data_dir
from pgxdl.rl.anticoagulation import mean_ci
from pgxdl.rl.environment.actions import ActionMap
from pgxdl.rl.environment.config import EnvConfig
from pgxdl.rl.environment.dosing_env import config_population, draw_patients
from pgxdl.rl.evaluate import combine_replicates, group_means, protocol_config
from pgxdl.rl.policies.agents import load_agent
from pgxdl.rl.policies.clinical_protocols import IWPCGuidedProtocol
from pgxdl.rl.policies.initiation import (
    DosePrediction,
    HandoverDecider,
    ModelInitiatedProtocol,
    RegressorDoseModel,
    log_ratio_quantiles,
    records_to_features,
)
from pgxdl.rl.rollout import ModelDecider, ProtocolDecider, rollout
from pgxdl.rl.simulator.variants import SIMULATOR_KINDS

SIMULATORS = {kind: {"kind": kind} for kind in SIMULATOR_KINDS}
SEED_OFFSET = 20_000
REFERENCE = "iwpc_formula_start"
METRICS = ("pttr", "frac_inr_above_4", "frac_inr_below_1_5", "days_to_therapeutic")


class RecommendedStart:
    """:class:`RecommendedDoseModel` as a dose model of :mod:`pgxdl.rl.policies.initiation`.

    A virtual patient's record has age, height, weight, race and the two genotypes; every
    other input the model was trained with is given as missing (NaN, or ``unknown`` for a
    category), as a clinic that does not record it would, and the model's own handling of
    missing inputs applies. ``template`` is a frame of the training features (its columns
    and kinds are used).
    """

    name = "recommended_recipe"

    def __init__(self, model: RecommendedDoseModel, template: pd.DataFrame) -> None:
        self.model = model
        self.numeric = {c: pd.api.types.is_numeric_dtype(t) for c, t in template.dtypes.items()}

    def features(self, records: list[dict]) -> pd.DataFrame:
        """The model's raw feature frame ``(N, F)`` of ``N`` records."""
        known = records_to_features(records)
        frame = pd.DataFrame({column: known[column] if column in known else
                              (np.full(len(records), np.nan) if numeric else "unknown")
                              for column, numeric in self.numeric.items()})
        frame["vkorc1_source"] = np.where(frame["vkorc1"] == "unknown", "unknown", "genotyped")
        return frame

    def __call__(self, records: list[dict]) -> DosePrediction:
        """Weekly doses and the model's 80 % intervals, ``(N,)`` each."""
        return as_prediction(self.model.predict(self.features(records)))


def as_prediction(frame: pd.DataFrame) -> DosePrediction:
    """:meth:`RecommendedDoseModel.predict`'s ``dose``/``lower``/``upper`` columns."""
    return DosePrediction(*(frame[c].to_numpy(float) for c in ("dose", "lower", "upper")))


def held_out_scores(dose: np.ndarray, prediction: DosePrediction) -> dict:
    """MAE (mg/week), PW20 and interval coverage of predictions against observed doses."""
    error = np.abs(prediction.mg_week - dose)
    return {"held_out_mae_mg_week": float(error.mean()),
            "held_out_pw20": float(np.mean(error <= 0.2 * dose)),
            "held_out_interval_coverage": float(np.mean(
                (dose >= prediction.low) & (dose <= prediction.high)))}


def dose_models(iwpc: Path, seed: int, quick: bool) -> tuple[dict, dict]:
    """The IWPC formula, a gradient-boosting model and the recommended recipe, trained on
    80 % of the scoreable IWPC patients and scored on the other 20 %."""
    table = read_iwpc_table(iwpc)
    keep, report = select_patients(table.frame)
    features = derive_features(table.frame[keep]).reset_index(drop=True)
    dose = table.frame["dose_mg_week"][keep].to_numpy(float)
    sites = table.frame["site"][keep].astype(str).to_numpy()
    order = np.random.default_rng(seed).permutation(len(dose))
    fit_rows, held_rows = order[: int(0.8 * len(dose))], order[int(0.8 * len(dose)):]
    fit_x, held_x = features.iloc[fit_rows], features.iloc[held_rows]
    boosted = make_model("gradient_boosting", FEATURE_SETS["iwpc"], seed=seed, quick=quick)
    boosted.fit(fit_x, dose[fit_rows])
    models, info = {}, {"patients": report.summary(), "fit": len(fit_rows),
                        "held_out": len(held_rows)}
    for name, regressor in (("iwpc_formula", IWPCFormula().fit(features)),
                            ("gradient_boosting", boosted)):
        interval = log_ratio_quantiles(dose[held_rows], regressor.predict(held_x))
        models[name] = RegressorDoseModel(regressor, interval, name)
        info[name] = {"log_interval_80": list(interval)}
    recommended = RecommendedDoseModel(QUICK_CANDIDATES if quick else CANDIDATES, seed=seed,
                                       n_folds=3 if quick else 5)
    recommended.fit(fit_x.reset_index(drop=True), dose[fit_rows], sites[fit_rows])
    models[RecommendedStart.name] = RecommendedStart(recommended, features)
    full = recommended.predict(held_x)
    info[RecommendedStart.name] = {
        "recipe": recommended.recipe_, "inner_out_of_site_mae": recommended.inner_mae_,
        "all_inputs": held_out_scores(dose[held_rows], as_prediction(full))}
    held_records = virtual_like_records(held_x)
    for name, model in models.items():
        info[name].update(held_out_scores(dose[held_rows], model(held_records)))
    return models, info


def virtual_like_records(features: pd.DataFrame) -> list[dict]:
    """Held-out IWPC patients as the records a virtual patient has (what the policies see).

    The scores of :func:`dose_models` are therefore those of the inputs the simulated
    clinic gives each model, not of the full IWPC rows.
    """
    return [{"age": 10.0 * decade + 5.0, "height_cm": height, "weight_kg": weight,
             "race": race, "cyp2c9": cyp, "vkorc1": vkor,
             "enzyme_inducer": inducer, "amiodarone": amiodarone}
            for decade, height, weight, race, cyp, vkor, inducer, amiodarone in zip(
                features["age_decade"], features["height_cm"], features["weight_kg"],
                features["race"], features["cyp2c9"], features["vkorc1"],
                features["enzyme_inducer"], features["amiodarone"], strict=True)]


def deciders(models: dict, agent_run: Path | None) -> dict:
    """Policy name -> (the agent's env config, or None for daily decisions; decider)."""
    out = {"iwpc_pg_titration": (None, ProtocolDecider(IWPCGuidedProtocol()))}
    for name, model in models.items():
        out[f"{name}_start"] = (None, ProtocolDecider(ModelInitiatedProtocol(model)))
        out[f"{name}_start_bounded14d"] = (None, ProtocolDecider(
            ModelInitiatedProtocol(model, bound_days=14)))
    if agent_run is not None:
        config = yaml.safe_load((agent_run / "config.yaml").read_text())
        env_config = EnvConfig.from_dict(config["env"])
        agent = ModelDecider(load_agent(config["agent"], agent_run), ActionMap(env_config))
        out["agent"] = (env_config, agent)
        for name, model in models.items():
            out[f"{name}_start_then_agent"] = (env_config, HandoverDecider(model, agent))
    return out


def paired_difference(policy: list[dict], reference: list[dict], metric: str) -> dict:
    """Mean and t-interval over seeds of ``policy - reference`` (all patients)."""
    diff = np.array([a["all"][metric] - b["all"][metric]
                     for a, b in zip(policy, reference, strict=True)])
    return dict(zip(("mean", "ci_low", "ci_high"), mean_ci(diff), strict=True))


def main(argv: list[str] | None = None) -> dict:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--n-patients", type=int, default=500)
    parser.add_argument("--population", default="iwpc_white")
    parser.add_argument("--iwpc", type=Path, default=shared_data_dir() / "iwpc" / "iwpc.csv")
    parser.add_argument("--agent-run", type=Path, help="a `pgxdl rl train` run folder")
    parser.add_argument("--quick", action="store_true", help="2 seeds, 5 patients, small models")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "benchmarks" / "results"
                        / "rl_initiation")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.n_patients = args.seeds[:2], 5
    started = time.perf_counter()
    models, info = dose_models(args.iwpc, 0, args.quick)
    policies = deciders(models, args.agent_run)
    per_seed: dict[str, dict[str, list]] = {s: {} for s in SIMULATORS}
    for simulator, spec in SIMULATORS.items():
        base = EnvConfig(population=args.population, iwpc_path=str(args.iwpc), simulator=spec)
        for seed in args.seeds:
            patients = draw_patients(base, config_population(base), args.n_patients,
                                     np.random.default_rng(SEED_OFFSET + seed))
            for name, (agent_config, decider) in policies.items():
                config = agent_config or protocol_config(base)
                batch = rollout(config, decider, patients, seed=SEED_OFFSET + seed)
                per_seed[simulator].setdefault(name, []).append(group_means(batch))
    summary = {s: {p: combine_replicates(r) for p, r in pol.items()}
               for s, pol in per_seed.items()}
    versus = {s: {p: {m: paired_difference(reps, pol[REFERENCE], m) for m in METRICS}
                  for p, reps in pol.items()} for s, pol in per_seed.items()}
    result = {"command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
              "seeds": args.seeds, "n_patients_per_seed": args.n_patients,
              "dose_models": info, "wall_seconds": time.perf_counter() - started,
              "results": summary, "versus_iwpc_formula_start": versus}
    write_json(args.out / "results.json", result)
    print(format_dose_models(info))
    print(format_table(summary, versus))
    return result


def format_dose_models(info: dict) -> str:
    """Held-out MAE, PW20 and 80 % interval coverage of each dose model."""
    lines = ["dose model".ljust(24) + "MAE mg/wk".rjust(11) + "PW20 %".rjust(9)
             + "80% cover %".rjust(13)]
    for name in (n for n in info if isinstance(info[n], dict) and "held_out_pw20" in info[n]):
        row = info[name]
        lines.append(name.ljust(24) + f"{row['held_out_mae_mg_week']:11.2f}"
                     f"{100 * row['held_out_pw20']:9.1f}"
                     f"{100 * row['held_out_interval_coverage']:13.1f}")
    return "\n".join(lines)


def format_table(summary: dict, versus: dict) -> str:
    """Per simulator: each policy's metrics and its PTTR difference from the IWPC start."""
    lines = []
    for simulator, policies in summary.items():
        lines += ["", simulator, "policy".ljust(40) + "PTTR %".rjust(10) + "INR>4 %".rjust(10)
                  + "INR<1.5 %".rjust(10) + "days".rjust(8) + "dPTTR vs IWPC start".rjust(28)]
        for name, groups in policies.items():
            a = groups["all"]
            d = versus[simulator][name]["pttr"]
            lines.append(name.ljust(40) + f"{100 * a['pttr']['mean']:10.1f}"
                         f"{100 * a['frac_inr_above_4']['mean']:10.2f}"
                         f"{100 * a['frac_inr_below_1_5']['mean']:10.2f}"
                         f"{a['days_to_therapeutic']['mean']:8.1f}"
                         + f"{100 * d['mean']:+.1f} [{100 * d['ci_low']:+.1f}, "
                           f"{100 * d['ci_high']:+.1f}]".rjust(28))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
