"""Atomic writes: complete or nothing."""

from __future__ import annotations

import pytest

from pgxdl.io import atomic_path, atomic_write_text, save_png


def test_atomic_write_replaces_whole_file(tmp_path):
    target = atomic_write_text(tmp_path / "sub" / "a.txt", "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["a.txt"]


def test_failure_keeps_old_file_and_leaves_no_temporary(tmp_path):
    target = atomic_write_text(tmp_path / "a.txt", "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


@pytest.mark.parametrize("name", ["figure.png", "agent.npz", "noext"])
def test_keep_suffix_ends_temporary_with_the_real_suffix(tmp_path, name):
    target = tmp_path / name
    with atomic_path(target, keep_suffix=True) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".")
        assert tmp.name.endswith(".tmp" + target.suffix)
        tmp.write_bytes(b"data")
    assert target.read_bytes() == b"data"
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_keep_suffix_lets_numpy_savez_write_in_place(tmp_path):
    np = pytest.importorskip("numpy")
    target = tmp_path / "q.npz"
    with atomic_path(target, keep_suffix=True) as tmp:
        np.savez(tmp, q=np.arange(3))  # appends ".npz" unless the name already ends so
    with np.load(target) as data:
        assert data["q"].tolist() == [0, 1, 2]
    assert [p.name for p in tmp_path.iterdir()] == ["q.npz"]


@pytest.mark.parametrize("tight", [True, False])
def test_save_png_writes_a_png_of_the_figure_size_or_cropped(tmp_path, tight):
    from matplotlib.figure import Figure
    from PIL import Image

    figure = Figure(figsize=(4, 3))
    figure.subplots().plot([0, 1], [1, 0])
    path = save_png(figure, tmp_path / "plot.png", dpi=50, tight=tight)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["plot.png"]
    width, height = Image.open(path).size
    assert ((width, height) == (200, 150)) is not tight  # tight crops the margins


def test_save_png_failure_writes_nothing(tmp_path):
    class Broken:
        def savefig(self, *args, **kwargs):
            raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError):
        save_png(Broken(), tmp_path / "plot.png")
    assert list(tmp_path.iterdir()) == []


def test_write_json_is_strict_atomic_and_takes_numpy(tmp_path):
    import json
    import math

    import numpy as np

    from pgxdl.io import write_json

    path = write_json(tmp_path / "out" / "m.json", {
        "nan": float("nan"), "inf": [math.inf, -math.inf, 1.5], "np": np.float32(0.25),
        "array": np.array([1.0, np.nan]), "nested": ({"n": np.int64(3)},)})
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text and text.endswith("\n")
    assert json.loads(text) == {"nan": None, "inf": [None, None, 1.5], "np": 0.25,
                                "array": [1.0, None], "nested": [{"n": 3}]}
    path.write_text("old\n")
    with pytest.raises(TypeError):
        write_json(path, {"bad": object()})
    assert path.read_text() == "old\n"  # an unwritable value leaves the file as it was
    assert sorted(p.name for p in path.parent.iterdir()) == ["m.json"]


def test_save_png_closes_a_pyplot_figure(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots()
    axis.plot([0, 1])
    save_png(figure, tmp_path / "p.png")
    assert not plt.fignum_exists(figure.number)
