"""What the data itself says about a drug's marker: is the mutation's effect there at all?

A sanity check asks a model to rank the expected mutation near the top for its drug. That
is only fair where the measurements carry the effect. Following Iorio et al. (Cell 2016),
whose drug-feature associations are ANOVAs with tissue as a covariate, the effect of a call
on a drug's ln IC50 is the call's coefficient in an ordinary least-squares fit of ln IC50
on the call plus one indicator per tissue, over the cell lines measured for the drug, with
its two-sided t-test. The raw mutant-minus-wild-type difference in means is reported
beside it.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from pgxdl.gdsc.pairs import GDSCPairs
from pgxdl.gdsc.sanity import EXPECTED, expected_drugs


def marker_effect(ln_ic50: np.ndarray, carrier: np.ndarray, tissue: np.ndarray) -> dict:
    """Effect of one binary call on one drug's response, adjusted for tissue.

    Parameters
    ----------
    ln_ic50 : ``(C,)`` the drug's ln IC50 over the cell lines measured for it.
    carrier : ``(C,)`` 1 where the cell line carries the call, else 0.
    tissue : ``(C,)`` tissue label (any hashable) of each cell line.

    Returns
    -------
    ``{"carriers", "difference", "effect", "se", "p"}``: carriers among the ``C`` lines,
    mean(carriers) - mean(non-carriers), the tissue-adjusted coefficient, its standard
    error and two-sided p-value (``nan`` for the last three when the call is carried by no
    line, by every line, or only within tissues it fills).
    """
    ln_ic50 = np.asarray(ln_ic50, dtype=float)
    carrier = np.asarray(carrier, dtype=float)
    if not (len(ln_ic50) == len(carrier) == len(tissue)):
        raise ValueError(f"ln_ic50, carrier and tissue differ in length: {len(ln_ic50)}, "
                         f"{len(carrier)}, {len(tissue)}")
    n_carriers = int(carrier.sum())
    out = {"carriers": n_carriers, "difference": float("nan"), "effect": float("nan"),
           "se": float("nan"), "p": float("nan")}
    if n_carriers in (0, len(carrier)):
        return out
    out["difference"] = float(ln_ic50[carrier == 1].mean() - ln_ic50[carrier == 0].mean())
    _, tissue_codes = np.unique(np.asarray(tissue), return_inverse=True)
    design = np.column_stack([carrier, np.eye(tissue_codes.max() + 1)[tissue_codes]])
    rank = np.linalg.matrix_rank(design)
    residual_df = len(ln_ic50) - rank
    if rank < design.shape[1] or residual_df < 1:
        return out
    coef, *_ = np.linalg.lstsq(design, ln_ic50, rcond=None)
    residual = ln_ic50 - design @ coef
    sigma2 = residual @ residual / residual_df
    se = float(np.sqrt(sigma2 * np.linalg.inv(design.T @ design)[0, 0]))
    out.update(effect=float(coef[0]), se=se,
               p=float(2 * stats.t.sf(abs(coef[0]) / se, residual_df)))
    return out


def marker_evidence(pairs: GDSCPairs) -> dict[str, dict[str, dict]]:
    """:func:`marker_effect` of each expected call (:data:`~pgxdl.gdsc.sanity.EXPECTED`)
    for every drug the sanity checks rank, over all of the drug's measured cell lines.

    Returns ``{drug label: {feature: marker_effect(...) plus "direction_ok"}}``; the
    direction is that of the tissue-adjusted effect (``None`` where it is undefined).
    """
    out = {}
    for drug, key in expected_drugs(pairs.drug_names).items():
        features, sign = EXPECTED[key]
        rows = (pairs.drug == drug) & ~np.isnan(pairs.ln_ic50)
        cells = pairs.cell[rows]
        out[pairs.drug_names[drug]] = {}
        for feature in features:
            effect = marker_effect(pairs.ln_ic50[rows],
                                   pairs.features[cells, pairs.feature_names.index(feature)],
                                   pairs.tissue[cells])
            direction = None if np.isnan(effect["effect"]) else bool(
                np.sign(effect["effect"]) == sign)
            out[pairs.drug_names[drug]][feature] = {**effect, "direction_ok": direction}
    return out
