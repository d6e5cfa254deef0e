"""Interpretation figures are written as PNGs; exon intervals and logo regions are checked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pgxdl.interpret.outputs import read_bed_intervals
from pgxdl.interpret.summary_plots import plot_patient_summary, plot_ranking
from pgxdl.interpret.track_plots import per_base, plot_attribution_track, plot_sequence_logo

WINDOW = {"name": "w0", "gene": "GENE0", "chrom": "chr1", "start": 1001, "end": 1040}
PNG = b"\x89PNG\r\n\x1a\n"


def is_png(path) -> bool:
    return path.read_bytes()[:8] == PNG


def test_per_base_sums_phased_haplotypes():
    attribution = np.arange(8 * 5, dtype=float).reshape(8, 5)
    np.testing.assert_array_equal(per_base(attribution), attribution[:4] + attribution[4:])
    np.testing.assert_array_equal(per_base(attribution[:4]), attribution[:4])
    with pytest.raises(ValueError, match="expected 4 or 8 channels"):
        per_base(np.zeros((3, 5)))


def test_track_and_logo_are_written(tmp_path):
    rng = np.random.default_rng(0)
    attribution = rng.normal(size=(4, 40))
    variants = pd.DataFrame({"pos": [1005, 1020], "variant": ["rs1", "chr1:1020:A:G"],
                             "attribution": [0.5, -1.0]})
    track = tmp_path / "track.png"
    figure = plot_attribution_track(attribution, WINDOW, variants, exons=[(990, 1010),
                                                                         (1100, 1200)],
                                    path=track)
    labels = [t.get_text() for t in figure.axes[0].texts]
    assert sorted(labels) == ["chr1:1020:A:G", "rs1"] and is_png(track)
    logo = tmp_path / "logo.png"
    plot_sequence_logo(attribution, WINDOW, 10, 25, highlight=[1020], path=logo)
    assert is_png(logo)
    with pytest.raises(ValueError, match="outside window w0"):
        plot_sequence_logo(attribution, WINDOW, 30, 45)


def test_ranking_and_patient_summary_are_written(tmp_path):
    summary = pd.DataFrame({"variant": ["a", "b", "c"], "mean": [1.0, -2.0, 0.1],
                            "mean_abs": [1.0, 2.0, 0.1]})
    ranking = tmp_path / "ranking.png"
    figure = plot_ranking(summary, "variant", top=2, highlight={"b"}, path=ranking)
    assert [t.get_text() for t in figure.axes[0].get_yticklabels()] == ["a", "b *"]
    assert is_png(ranking)
    variants = pd.DataFrame({"variant": ["rs1"], "gene": ["GENE0"], "attribution": [0.4]})
    features = pd.DataFrame({"feature": ["age", "weight"], "attribution": [-0.3, 0.2]})
    genes = pd.DataFrame({"gene": ["GENE0"], "attribution": [0.4]})
    patient = tmp_path / "patient.png"
    figure = plot_patient_summary(17, 31.5, float("nan"), "dose", "mg/week", variants,
                                  features, genes, path=patient)
    assert "observation 17" in figure._suptitle.get_text() and is_png(patient)


def test_bed_intervals_become_one_based_inclusive(tmp_path):
    bed = tmp_path / "exons.bed"
    bed.write_text("track name=exons\nchr16\t31090000\t31090100\tex1\n16 31091000 31091050\n")
    assert read_bed_intervals(bed) == {"16": [(31090001, 31090100), (31091001, 31091050)]}
    bed.write_text("chr16\t31090000\n")
    with pytest.raises(ValueError, match="line 1: expected 'chrom start end'"):
        read_bed_intervals(bed)
    bed.write_text("chr16\t10\t20\nchr16\t30\t30\n")
    with pytest.raises(ValueError, match="line 2: end 30 <= start 30"):
        read_bed_intervals(bed)
