"""benchmarks/gdsc.py --quick completes on synthetic GDSC files and writes its JSON."""

from __future__ import annotations

import json
import sys

import pytest
from gdsc_fixtures import write_gdsc_files

from pgxdl.paths import REPO_ROOT


@pytest.mark.slow
def test_gdsc_benchmark_quick(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(REPO_ROOT))
    sys.modules.pop("benchmarks.gdsc", None)
    from benchmarks import gdsc
    folder = write_gdsc_files(tmp_path / "gdsc")
    out = tmp_path / "gdsc.json"
    result = gdsc.main(["--quick", "--data-dir", str(folder), "--out", str(out),
                        "--models", "gdsc_fp_mlp_concat,gdsc_wide_deep", "--tissues", "skin",
                        "--threads", "1"])
    splits = ["mixed", "cell_blind", "drug_blind", "tissue_out_skin"]
    by_split = {s: [r["model"] for r in result["rows"] if r["split"] == s] for s in splits}
    assert by_split["mixed"] == ["drug_mean", "drug_cell_additive", "per_drug_elastic_net",
                                 "per_drug_random_forest", "global_boosting",
                                 "gdsc_fp_mlp_concat", "gdsc_wide_deep", "deep_ensemble"]
    assert "per_drug_elastic_net" not in by_split["drug_blind"]
    assert "similar_drug_mean" in by_split["drug_blind"]
    assert "drug_cell_additive" not in by_split["cell_blind"]
    saved = json.loads(out.read_text())
    assert [(r["split"], r["model"]) for r in saved["rows"]] == \
        [(r["split"], r["model"]) for r in result["rows"]]
    assert {"Gefitinib", "Nutlin-3a (-)"} <= set(saved["sanity"])
    assert (tmp_path / "gdsc_sanity.json").is_file()
    assert set(saved["marker_evidence"]) == set(saved["sanity"])
    assert saved["marker_evidence"]["Gefitinib"]["EGFR_mut"]["direction_ok"]
    paired = saved["scores"]["gdsc_wide_deep/cell_blind"]["vs_elastic_net"]
    en = saved["scores"]["per_drug_elastic_net/cell_blind"]["per_drug_pearson"]["by_drug"]
    deep = saved["scores"]["gdsc_wide_deep/cell_blind"]["per_drug_pearson"]["by_drug"]
    assert paired["n_drugs"] == len(set(en) & set(deep))  # tiny data: drugs under 20 lines
    assert saved["scores"]["gdsc_wide_deep/drug_blind"]["vs_elastic_net"] is None
