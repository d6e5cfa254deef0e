"""Text table and figure of an external validation report (:func:`validate_external`)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pgxdl.baselines.comparison import format_table  # noqa: E402
from pgxdl.io import save_png  # noqa: E402

MODELS = ("recommended", "published_formula", "refit_formula")


def format_external(report: dict) -> str:
    """The overall table (vs the published and the refitted formula) and per-site lines."""
    results = report["results"]
    overall = {"test": {name: results[name] for name in
                        (*MODELS, "published_formula_no_imputation") if name in results}}
    lines = [f"Recipe chosen inside the training sites: {report['recipe']['chosen']}",
             f"Test: {report['test']['n_patients']} patients, "
             f"{report['test']['n_predicted']} given a dose, "
             f"{results['recommended']['n']} scored (stable dose), "
             f"{report['test']['n_scored_with_imputed_input']} of them with an imputed input; "
             f"95% CIs over {report['bootstrap']}",
             format_table(overall, versus="vs_published_formula"), "",
             format_table({"test": {"recommended": results["recommended"]}},
                          versus="vs_refit_formula"), "",
             "per group (MAE mg/week: recommended / published / refit; PW20 %; n):"]
    for group, labels in results["recommended"]["subgroups"].items():
        for label, entry in labels.items():
            maes = " / ".join(
                f"{results[m]['subgroups'][group][label]['metrics']['mae']['value']:.2f}"
                for m in MODELS)
            pw20 = entry["metrics"]["pw20"]["value"]
            lines.append(f"  {group:<9} {label:<26} {maes}   {pw20:5.1f}   {entry['n']}")
    interval = report["interval"]
    lines.append(f"80% intervals: coverage {100 * interval['coverage']:.1f}%, median width "
                 f"{interval['median_width']:.1f} mg/week; by site: " + ", ".join(
                     f"{site} {100 * e['coverage']:.0f}% (n={e['n']})"
                     for site, e in interval["by_site"].items()))
    return "\n".join(lines)


def plot_external(report: dict, path: str | Path, title: str | None = None) -> Path:
    """PNG: per-site MAE of the three models with CIs, and per-site interval coverage.

    ``report`` needs ``results[model]["subgroups"]["site"]`` and ``interval["by_site"]``
    (an external validation or a site-protocol report).
    """
    results = report["results"]
    sites = sorted(results["recommended"]["subgroups"]["site"],
                   key=lambda s: (0, int(s)) if s.isdigit() else (1, s))
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 0.45 * len(sites) + 2.2),
                                         gridspec_kw={"width_ratios": [2, 1]},
                                         layout="constrained")
    y = np.arange(len(sites))
    for offset, name in zip((-0.25, 0.0, 0.25), MODELS, strict=True):
        entries = [results[name]["subgroups"]["site"][site]["metrics"]["mae"] for site in sites]
        value = np.array([e["value"] for e in entries])
        ci = np.array([e["ci"] for e in entries])
        left.errorbar(value, y + offset, xerr=[value - ci[:, 0], ci[:, 1] - value], fmt="o",
                      ms=4, capsize=2, label=name.replace("_", " "))
    left.set_yticks(y, [f"site {s} (n={results['recommended']['subgroups']['site'][s]['n']})"
                        for s in sites])
    left.set_xlabel("MAE at the site, mg/week (95% CI over its patients)")
    left.invert_yaxis()
    left.legend(fontsize=8, loc="best")
    coverage = [100 * report["interval"]["by_site"][site]["coverage"] for site in sites]
    right.barh(y, coverage, color="tab:blue", alpha=0.7)
    right.axvspan(75, 85, color="tab:green", alpha=0.15, label="target 75-85%")
    right.axvline(80, color="k", lw=0.8)
    right.set_yticks(y, [])
    right.set_xlim(50, 100)
    right.invert_yaxis()
    right.set_xlabel("80% interval coverage, %")
    right.legend(fontsize=8, loc="lower left")
    figure.suptitle(title or f"External validation: recipe {report['recipe']['chosen']}")
    path = save_png(figure, path)
    plt.close(figure)
    return path
