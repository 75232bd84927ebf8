"""Runs every notebook in notebooks/ (the course's sections 3-11) with nbclient on a python3 kernel
of this interpreter, asserting that no cell raises and checking a few outputs.

Each notebook runs in its own temporary directory (files it saves, such as model.h5, go there) with
python/ of this checkout on PYTHONPATH. Set MINIKERAS_NOTEBOOK_OUT=<dir> to keep the executed
notebooks (with their outputs and plots) in <dir>.
"""
import json
import os
import pathlib
import sys
import time

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT = 120

# text each notebook's outputs must contain (numbers the course states that do not depend on training)
EXPECTED = {
    "03_sequential_and_functional.ipynb": [
        "Total params: 16,210", "Total params: 200,600", "Total params: 10,004,000",
        "[[0. 0. 0. 0. 0.]]", "This model has not yet been built", "(64, 200) True",
        "4\n132\n", "135\n", "TensorShape([None, 5, 5, 2048])", "True ['xception', 'sequential",
        "Total params: 20,881,970",
    ],
    "04_layers.ipynb": [
        "[(20, 100), (100,)]", "(64, 10)", "19660900", "dtype=float16",
        "132 20861480 True", "mean weights per layer: first half",
    ],
    "05_compile.ipynb": [
        "[1. 1. 1. 1. 1. 1. 1. 1.]", "0.6666667",
    ],
    "06_training.ipynb": [
        "(4000, 784) float64", "Epoch 10/10", "val_accuracy", "PearsonRResult",
    ],
    "07_visualization.ipynb": [
        "'val_accuracy'", "events.out.tfevents",
    ],
    "08_custom_call_and_train_step.ipynb": [
        "Epoch 1/", "val_accuracy",
    ],
    "09_data_generators.ipynb": [
        "Found 210 images belonging to 3 classes.", "7 210",
        "{'angular_leaf_spot': 0, 'bean_rust': 1, 'healthy': 2}", "(32, 128, 128, 3) (32, 3)",
        "Epoch 2/2", "7/7 [", "affine_transform",
    ],
    "10_preprocessing_layers_tfdata.ipynb": [
        "Found 210 images belonging to 3 classes.", "(TensorShape([160, 160, 3]), tf.uint8)",
        "(TensorShape([]), tf.string)", "(TensorShape([]), tf.int64)",
        "['angular_leaf_spot', 'bean_rust', 'healthy']", "(32, 200, 200, 3) (32, 200, 200, 3)", "(32, 10)\n",
    ],
    "11_fec_pipeline.ipynb": [
        "SYNTHETIC", "301 33 0", "tf.float32 255.0", "(14, 1)", "(192, 160, 160, 3)",
    ],
}
# notebooks that must draw at least one matplotlib figure
PLOTS = {"04_layers.ipynb", "06_training.ipynb", "07_visualization.ipynb", "09_data_generators.ipynb",
         "10_preprocessing_layers_tfdata.ipynb", "11_fec_pipeline.ipynb"}
def _output_text(nb):
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append(out.get("text", ""))
            elif "data" in out:
                parts.append(out["data"].get("text/plain", ""))
            elif out.get("output_type") == "error":
                parts.append("\n".join(out.get("traceback", [])))
    return "\n".join(parts)


def _has_png(nb):
    return any("image/png" in out.get("data", {})
               for cell in nb.cells for out in cell.get("outputs", []))


@pytest.fixture
def kernel_env(tmp_path, monkeypatch):
    """A python3 kernel spec that runs THIS interpreter (first on JUPYTER_PATH), private Jupyter/IPython
    directories, and python/ of this checkout first on the kernel's PYTHONPATH."""
    spec_dir = tmp_path / "jupyter" / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (minikeras tests)", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    pp = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", str(ROOT / "python") + (os.pathsep + pp if pp else ""))
    work = tmp_path / "work"
    work.mkdir()
    return work


def test_notebooks_exist():
    names = {p.name for p in NOTEBOOKS}
    assert set(EXPECTED) <= names, sorted(set(EXPECTED) - names)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, kernel_env):
    nb = nbformat.read(str(path), as_version=4)
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(kernel_env)}})
    t0 = time.perf_counter()
    try:
        client.execute()
    finally:
        out_dir = os.environ.get("MINIKERAS_NOTEBOOK_OUT")
        if out_dir:
            os.makedirs(out_dir, exist_ok=True)
            nbformat.write(nb, os.path.join(out_dir, path.name))
    elapsed = time.perf_counter() - t0
    print("%s: %.1f s" % (path.name, elapsed))
    text = _output_text(nb)
    assert "Traceback" not in text, text
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", (path.name, cell.source, out)
    for expected in EXPECTED.get(path.name, []):
        assert expected in text, "%s: %r not in the outputs" % (path.name, expected)
    if path.name in PLOTS:
        assert _has_png(nb), "%s drew no figure" % path.name
